package daemon

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics is the daemon's own Prometheus registry (no global registry).
type metrics struct {
	reg *prometheus.Registry

	frames, dropped, classified, camErrors, pluginFailures *prometheus.CounterVec
	latency                                                *prometheus.HistogramVec
	activeModel, training, inbox, subscribers              prometheus.Gauge
	runs                                                   *prometheus.CounterVec
	eventsDropped                                          prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	cv := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "ocellus", Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	g := func(name, help string) prometheus.Gauge {
		c := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "ocellus", Name: name, Help: help})
		m.reg.MustRegister(c)
		return c
	}
	m.frames = cv("frames_total", "Frames taken from the camera.", "camera")
	m.dropped = cv("frames_dropped_total", "Frames skipped because a newer frame arrived before the model was free (never queued).", "camera")
	m.classified = cv("frames_classified_total", "Frames run through the model.", "camera")
	m.camErrors = cv("camera_errors_total", "Transient camera errors (the source recovers by itself) and frames that failed to decode.", "camera")
	m.pluginFailures = cv("plugin_failures_total", "Frames a WASM preprocessing plugin failed on (fallen back or dropped).", "camera")
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "ocellus", Name: "inference_seconds",
		Help:    "Preprocessing plus inference time of one frame.",
		Buckets: []float64{.001, .002, .005, .01, .02, .035, .05, .075, .1, .15, .2, .3, .5, .75, 1, 2, 5},
	}, []string{"camera"})
	m.reg.MustRegister(m.latency)
	m.activeModel = g("active_model_version", "The store's model version the trainable cameras use (0: the base model).")
	m.training = g("training_running", "1 while a training run (or its evaluation) is in progress.")
	m.inbox = g("inbox_items", "Low-confidence frames waiting in the inbox.")
	m.subscribers = g("event_subscribers", "Open event subscriptions (SSE clients).")
	m.runs = cv("training_runs_total", "Finished training runs by status and whether the model was promoted.", "status", "promoted")
	m.eventsDropped = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "ocellus", Name: "events_dropped_total", Help: "Events a slow subscriber lost."})
	m.reg.MustRegister(m.eventsDropped)
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
