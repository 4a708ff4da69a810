package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/ocellus/ocellus/store"
)

// CaptureSample stores the camera's last classified frame with the label and the prediction
// made on it.
func (d *Daemon) CaptureSample(ctx context.Context, camera, label string) (store.Sample, error) {
	c, err := d.camera(camera)
	if err != nil {
		return store.Sample{}, err
	}
	if err := store.ValidateLabel(label); err != nil {
		return store.Sample{}, err
	}
	img, p, err := c.current()
	if err != nil {
		return store.Sample{}, err
	}
	b, err := encodeJPEG(img)
	if err != nil {
		return store.Sample{}, err
	}
	smp, err := d.st.AddSample(store.NewSample{
		Image: b, Label: label, Source: "camera:" + camera, Captured: p.Time,
		Prediction: p.Label, Confidence: float32(p.Confidence),
		Meta: map[string]string{"seq": fmt.Sprint(p.Seq), "model": fmt.Sprint(p.ModelID)},
	})
	if err != nil {
		return smp, err
	}
	d.sampleAdded(smp)
	return smp, nil
}

// AddSample stores an uploaded image (JPEG, PNG or BMP).
func (d *Daemon) AddSample(ctx context.Context, image []byte, label, source string) (store.Sample, error) {
	if source == "" {
		source = "upload"
	}
	smp, err := d.st.AddSample(store.NewSample{Image: image, Label: label, Source: source})
	if err != nil {
		return smp, err
	}
	d.sampleAdded(smp)
	return smp, nil
}

func (d *Daemon) sampleAdded(smp store.Sample) {
	d.newSamples.Add(1)
	d.events.publish("sample", smp)
	d.log.Debug("sample added", "id", smp.ID, "label", smp.Label, "split", smp.Split)
}

// Relabel gives a sample another label (it counts as a new labelled sample for the scheduler).
func (d *Daemon) Relabel(ctx context.Context, id store.SampleID, label string) (store.Sample, error) {
	if err := d.st.Relabel(id, label); err != nil {
		return store.Sample{}, err
	}
	smp, err := d.st.Sample(id)
	if err != nil {
		return smp, err
	}
	d.sampleAdded(smp)
	return smp, nil
}

// DeleteSample removes a sample.
func (d *Daemon) DeleteSample(ctx context.Context, id store.SampleID) error {
	if err := d.st.DeleteSamples(id); err != nil {
		return err
	}
	d.events.publish("sample", map[string]any{"deleted": id})
	return nil
}

// AddLabel adds a class name to the label set; adding one that exists is not an error.
func (d *Daemon) AddLabel(ctx context.Context, name string) error {
	err := d.st.AddLabel(name)
	if errors.Is(err, store.ErrLabelExists) {
		return nil
	}
	return err
}
