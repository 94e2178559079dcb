//go:build linux

package providerhost

import (
	"context"
	"errors"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
)

// batchSink is an Emitter that takes batches (provider.BatchEmitter) and
// counts how it was called; it refuses once it holds stopAt instances.
type batchSink struct {
	emits, batches int
	got            []*cim.Instance
	stopAt         int
}

var errSinkGone = errors.New("the consumer has gone")

func (s *batchSink) Emit(inst *cim.Instance) error {
	s.emits++
	return s.take(inst)
}

func (s *batchSink) EmitBatch(insts []*cim.Instance) error {
	s.batches++
	for _, inst := range insts {
		if err := s.take(inst); err != nil {
			return err
		}
	}
	return nil
}

func (s *batchSink) take(inst *cim.Instance) error {
	if s.stopAt > 0 && len(s.got) >= s.stopAt {
		return errSinkGone
	}
	s.got = append(s.got, inst)
	return nil
}

// plainSink is an Emitter that takes one instance at a time only.
type plainSink struct{ got []*cim.Instance }

func (s *plainSink) Emit(inst *cim.Instance) error { s.got = append(s.got, inst); return nil }

// A batch that crosses the process boundary reaches an emitter that takes
// batches in one EmitBatch (one hand-over of the consumer's queue per
// batch, not per instance), in order; an emitter that does not is given
// each instance with Emit; and a consumer that leaves within a batch ends
// the call with its error.
func TestBatchesReachTheConsumerWhole(t *testing.T) {
	h := newHost(t, Config{})
	x := h.Proxy(reg(t, "Items", SelfHost))
	ctx := context.Background()
	class := workload.Class()
	inOrder := func(t *testing.T, got []*cim.Instance, n int) {
		t.Helper()
		if len(got) != n {
			t.Fatalf("got %d instances, want %d", len(got), n)
		}
		for i, inst := range got {
			if id := inst.Value("Id").Uint(); id != uint64(i) {
				t.Fatalf("instance %d has Id %d", i, id)
			}
		}
	}

	b := &batchSink{}
	if err := x.EnumerateInstances(ctx, class, b); err != nil {
		t.Fatal(err)
	}
	inOrder(t, b.got, 1000)
	if b.emits != 0 || b.batches == 0 || b.batches >= 100 {
		t.Errorf("%d Emit and %d EmitBatch calls for 1000 instances, want none and a few batches", b.emits, b.batches)
	}

	p := &plainSink{}
	if err := x.EnumerateInstances(ctx, class, p); err != nil {
		t.Fatal(err)
	}
	inOrder(t, p.got, 1000)

	gone := &batchSink{stopAt: 5} // inside the first batch (16 instances)
	if err := x.EnumerateInstances(ctx, class, gone); !errors.Is(err, errSinkGone) {
		t.Fatalf("a consumer gone within a batch: %v, want its error", err)
	}
	inOrder(t, gone.got, 5)
	// The provider process is fine: the next call gets everything.
	b = &batchSink{}
	if err := x.EnumerateInstances(ctx, class, b); err != nil {
		t.Fatal(err)
	}
	inOrder(t, b.got, 1000)
}
