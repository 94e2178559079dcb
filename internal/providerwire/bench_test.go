package providerwire

import (
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"google.golang.org/protobuf/proto"
)

// BenchmarkBatch measures each step a workload instance takes across the
// process boundary, per instance (docs/benchmarks.md, "Out-of-process
// providers"): encode and marshal in the provider, unmarshal and decode in
// the daemon; then the same trip through the direct codec.
func BenchmarkBatch(b *testing.B) {
	c := workload.Class()
	insts := make([]*cim.Instance, MaxBatch)
	for i := range insts {
		insts[i] = workload.Build(c, i)
	}
	batch := &EnumerateReply{Kind: &EnumerateReply_Batch{Batch: &Batch{}}}
	for _, inst := range insts {
		batch.GetBatch().Instances = append(batch.GetBatch().Instances, EncodeInstance(inst, c.Name))
	}
	wire, err := proto.Marshal(batch)
	if err != nil {
		b.Fatal(err)
	}
	per := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*MaxBatch), "ns/inst")
		b.ReportMetric(float64(b.N*MaxBatch)/b.Elapsed().Seconds(), "inst/s")
	}
	b.Run("encode", func(b *testing.B) {
		for range b.N {
			for _, inst := range insts {
				EncodeInstance(inst, c.Name)
			}
		}
		per(b)
	})
	b.Run("marshal", func(b *testing.B) {
		for range b.N {
			if _, err := proto.Marshal(batch); err != nil {
				b.Fatal(err)
			}
		}
		per(b)
		b.ReportMetric(float64(len(wire))/MaxBatch, "bytes/inst")
	})
	b.Run("unmarshal", func(b *testing.B) {
		for range b.N {
			var m EnumerateReply
			if err := proto.Unmarshal(wire, &m); err != nil {
				b.Fatal(err)
			}
		}
		per(b)
	})
	// The direct codec (direct.go): cim.Instance to a batch's bytes, values
	// by position, and the bytes to cim.Instances.
	var direct EncodedBatch
	for _, inst := range insts {
		if err := direct.Append(inst, c); err != nil {
			b.Fatal(err)
		}
	}
	directWire, err := Codec{}.Marshal(&direct)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("direct-encode", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			var batch EncodedBatch
			for _, inst := range insts {
				if err := batch.Append(inst, c); err != nil {
					b.Fatal(err)
				}
			}
		}
		per(b)
		b.ReportMetric(float64(directWire.Len()-headroom)/MaxBatch, "bytes/inst")
	})
	b.Run("direct-decode", func(b *testing.B) {
		b.ReportAllocs()
		d := &ReplyDecoder{Class: c}
		for range b.N {
			if err := (Codec{}).Unmarshal(directWire, d); err != nil || d.Err != nil || len(d.Instances) != MaxBatch {
				b.Fatal(err, d.Err)
			}
		}
		per(b)
	})
	b.Run("decode", func(b *testing.B) {
		for range b.N {
			for _, m := range batch.GetBatch().Instances {
				if _, err := DecodeInstance(m, c); err != nil {
					b.Fatal(err)
				}
			}
		}
		per(b)
	})
}
