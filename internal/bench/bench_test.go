package bench

import "testing"

// The stream adds no heap allocation per object to what the provider's
// instances cost: whatever the stream's ratio to the bare loop, it is not
// spent in allocations of its own (only a few per batch of 1000, and one
// query per run). The loop that holds a batch is measured in the same
// rounds and allocates as the bare loop does.
func TestStreamAddsNoAllocations(t *testing.T) {
	const n = 20_000
	r, err := StreamVsBaseline(n, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.BaseAllocs < 1 || r.StreamAllocs-r.BaseAllocs > 0.05 {
		t.Errorf("heap allocations per instance: stream %.3f, bare loop %.3f; want the stream within 0.05 of the loop", r.StreamAllocs, r.BaseAllocs)
	}
	if r.Batched.Allocs-r.BaseAllocs > 0.05 {
		t.Errorf("heap allocations per instance: stream fed in batches of %d %.3f, bare loop %.3f; want the stream within 0.05 of the loop", ProviderBatch, r.Batched.Allocs, r.BaseAllocs)
	}
	if r.BaseGCs < 0 || r.StreamCPU <= 0 || r.BaseCPU <= 0 || r.CPURatio <= 0 || r.BatchCPURatio <= 0 || r.Batched.CPU <= 0 || r.Batched.CPURatio <= 0 {
		t.Errorf("StreamVsBaseline gave %+v: a measure is missing", r)
	}
}
