package daemon

import (
	"context"
	"errors"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/daemon/api"
	"github.com/ocellus/ocellus/store"
)

// inboxReq is a low-confidence frame on its way to the store.
type inboxReq struct {
	cam  string
	img  *preprocess.RGB8
	pred api.Prediction
}

// inboxWriter stores the frames the cameras send (JPEG encoding and the store's fsync happen
// here, not in the camera loops).
func (d *Daemon) inboxWriter(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-d.inboxCh:
			b, err := encodeJPEG(r.img)
			if err != nil {
				d.log.Warn("inbox: encoding a frame", "camera", r.cam, "err", err)
				continue
			}
			it, removed, err := d.st.AddInbox(store.NewInboxItem{
				Image: b, Camera: r.cam, Captured: r.pred.Time, Prediction: r.pred.Label,
				Confidence: float32(r.pred.Confidence), Model: r.pred.ModelID,
			}, d.cfg.Inbox.Max)
			if err != nil {
				d.log.Warn("inbox: storing a frame", "camera", r.cam, "err", err)
				continue
			}
			d.inboxChanged(1 - len(removed))
			for _, id := range removed {
				d.events.publish("inbox", map[string]any{"removed": uint64(id)})
			}
			d.events.publish("inbox", inboxItem(it))
		}
	}
}

func (d *Daemon) inboxChanged(delta int) {
	n := d.inboxCount.Add(int64(delta))
	d.met.inbox.Set(float64(n))
}

func inboxItem(it store.InboxItem) api.InboxItem {
	return api.InboxItem{ID: uint64(it.ID), Camera: it.Camera, Time: it.Captured, Prediction: it.Prediction,
		Confidence: float64(it.Confidence), ModelID: it.Model}
}

// Inbox lists the inbox, oldest first.
func (d *Daemon) Inbox() ([]api.InboxItem, error) {
	items, err := d.st.Inbox()
	if err != nil {
		return nil, err
	}
	out := make([]api.InboxItem, len(items))
	for i, it := range items {
		out[i] = inboxItem(it)
	}
	return out, nil
}

// InboxImage is an inbox item's JPEG.
func (d *Daemon) InboxImage(id uint64) ([]byte, error) { return d.st.InboxImage(store.InboxID(id)) }

// LabelInbox moves an inbox item into the samples with the label.
func (d *Daemon) LabelInbox(ctx context.Context, id uint64, label string) (store.Sample, error) {
	smp, err := d.st.LabelInbox(store.InboxID(id), label)
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		return smp, err
	}
	d.inboxChanged(-1)
	d.events.publish("inbox", map[string]any{"removed": id})
	if err != nil {
		return smp, err
	}
	d.sampleAdded(smp)
	return smp, nil
}

// DiscardInbox removes an inbox item.
func (d *Daemon) DiscardInbox(ctx context.Context, id uint64) error {
	if err := d.st.DeleteInbox(store.InboxID(id)); err != nil {
		return err
	}
	d.inboxChanged(-1)
	d.events.publish("inbox", map[string]any{"removed": id})
	return nil
}
