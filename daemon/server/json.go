package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"reflect"
	"strconv"

	"github.com/ocellus/ocellus/daemon/api"
	"github.com/ocellus/ocellus/store"
)

// errorStatus maps an engine or store error to its HTTP status.
func errorStatus(err error) int {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, store.ErrNotFound), errors.Is(err, api.ErrNotFound), errors.Is(err, api.ErrNoCamera):
		return http.StatusNotFound
	case errors.Is(err, store.ErrInvalidLabel), errors.Is(err, store.ErrUnknownLabel),
		errors.Is(err, store.ErrInvalidImage), errors.Is(err, store.ErrInvalidSample),
		errors.Is(err, store.ErrInvalidRun):
		return http.StatusBadRequest
	case errors.Is(err, api.ErrBusy), errors.Is(err, api.ErrNotTraining), errors.Is(err, api.ErrNoRollback),
		errors.Is(err, store.ErrLabelExists), errors.Is(err, store.ErrLabelInUse),
		errors.Is(err, store.ErrDuplicate), errors.Is(err, store.ErrModelActive),
		errors.Is(err, store.ErrNoActiveModel), errors.Is(err, store.ErrRunFinished),
		errors.Is(err, store.ErrTooFewClasses), errors.Is(err, store.ErrTooFewSamples),
		errors.Is(err, store.ErrInvalidModel):
		return http.StatusConflict
	case errors.Is(err, store.ErrDiskFull):
		return http.StatusInsufficientStorage
	case errors.Is(err, api.ErrNoFrame), errors.Is(err, store.ErrClosed), errors.Is(err, store.ErrReadOnly),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// fail writes err as a JSON error with its mapped status; server errors are
// logged.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := errorStatus(err)
	if code >= 500 && code != http.StatusServiceUnavailable {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", code, "err", err)
	}
	writeError(w, code, err.Error())
}

// writeError writes {"error": msg} with the status.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// writeJSON writes v as JSON with the status.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]string{"error": "encoding the response: " + err.Error()})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// readJSON decodes a JSON body of at most MaxJSONBody bytes into v. The error
// is a *http.MaxBytesError (413) or says what is wrong with the JSON (400).
func readJSON(w http.ResponseWriter, r *http.Request, v any) (int, error) {
	body := http.MaxBytesReader(w, r.Body, MaxJSONBody)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return http.StatusRequestEntityTooLarge, err
		}
		if errors.Is(err, io.EOF) {
			return http.StatusBadRequest, errors.New("empty body, expected JSON")
		}
		return http.StatusBadRequest, errors.New("bad JSON body: " + err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return http.StatusRequestEntityTooLarge, err
		}
		return http.StatusBadRequest, errors.New("bad JSON body: data after the value")
	}
	return 0, nil
}

// nanSentinel (nanSentinel32 in a float32) stands for a non-finite float while
// marshalling; it is then replaced by null. It is a finite value no metric takes.
const (
	nanSentinel   = -1.2345678901234567e+308
	nanSentinel32 = -1.2345678e+38
)

// marshal is json.Marshal where non-finite floats (a diverged loss, an
// undefined AUC) become null, as package api documents, instead of failing.
// Values with their own MarshalJSON (store.Metrics) are left to it.
func marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	var unsupported *json.UnsupportedValueError
	if err == nil || !errors.As(err, &unsupported) {
		return b, err
	}
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return b, err
	}
	b, err = json.Marshal(finite(rv).Interface())
	if err != nil {
		return nil, err
	}
	b = bytes.ReplaceAll(b, []byte(strconv.FormatFloat(nanSentinel, 'g', -1, 64)), []byte("null"))
	b = bytes.ReplaceAll(b, []byte(strconv.FormatFloat(nanSentinel32, 'g', -1, 32)), []byte("null"))
	return b, nil
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// finite returns a deep copy of v with every non-finite float replaced by
// nanSentinel (only where needed: values without floats are shared).
func finite(v reflect.Value) reflect.Value {
	t := v.Type()
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) && t.Kind() != reflect.Pointer {
		return v
	}
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			c := reflect.New(t).Elem()
			if v.Kind() == reflect.Float32 {
				c.SetFloat(nanSentinel32)
			} else {
				c.SetFloat(nanSentinel)
			}
			return c
		}
		return v
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(t).Elem()
		c.Set(finite(v.Elem()))
		return c
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(t.Elem())
		c.Elem().Set(finite(v.Elem()))
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(finite(v.Index(i)))
		}
		return c
	case reflect.Array:
		c := reflect.New(t).Elem()
		for i := range v.Len() {
			c.Index(i).Set(finite(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(t, v.Len())
		it := v.MapRange()
		for it.Next() {
			c.SetMapIndex(it.Key(), finite(it.Value()))
		}
		return c
	case reflect.Struct:
		c := reflect.New(t).Elem()
		c.Set(v)
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				c.Field(i).Set(finite(v.Field(i)))
			}
		}
		return c
	}
	return v
}
