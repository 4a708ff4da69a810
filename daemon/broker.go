package daemon

import (
	"sync"

	"github.com/ocellus/ocellus/daemon/api"
)

// broker fans events out to subscribers without ever blocking the publisher: a subscriber whose
// channel is full loses the event.
type broker struct {
	mu      sync.Mutex
	next    int
	subs    map[int]chan api.Event
	dropped func() // counts an event lost by a slow subscriber
}

func newBroker(dropped func()) *broker {
	return &broker{subs: map[int]chan api.Event{}, dropped: dropped}
}

// subscribe returns a channel of capacity buf (at least 1) and its idempotent cancel, which
// closes the channel.
func (b *broker) subscribe(buf int) (<-chan api.Event, func()) {
	ch := make(chan api.Event, max(buf, 1))
	b.mu.Lock()
	id := b.next
	b.next++
	b.subs[id] = ch
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if c, ok := b.subs[id]; ok {
			delete(b.subs, id)
			close(c)
		}
	}
}

func (b *broker) publish(typ string, data any) {
	e := api.Event{Type: typ, Data: data}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.subs {
		select {
		case ch <- e:
		default:
			if b.dropped != nil {
				b.dropped()
			}
		}
	}
}

// closeAll ends every subscription (the daemon is stopping).
func (b *broker) closeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, ch := range b.subs {
		delete(b.subs, id)
		close(ch)
	}
}

func (b *broker) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
