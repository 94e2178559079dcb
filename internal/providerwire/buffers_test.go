package providerwire

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// TestBufferPool: a batch buffer given back is handed out again even after
// garbage collections (a sync.Pool would have dropped it), a new one has
// room for a whole batch of small instances, and the pool keeps at most
// maxPooledBuffers of at most maxPooledBytes.
func TestBufferPool(t *testing.T) {
	p := &bufferPool{}
	b := p.Get(headroom)
	if len(*b) != headroom || cap(*b) < firstBufferBytes {
		t.Fatalf("a new buffer: len %d cap %d, want %d and ≥ %d", len(*b), cap(*b), headroom, firstBufferBytes)
	}
	*b = append(*b, "instances"...)
	p.Put(b)
	runtime.GC()
	runtime.GC()
	if again := p.Get(headroom); again != b || len(*again) != headroom {
		t.Fatalf("the buffer given back was not handed out again after two collections")
	}

	for range maxPooledBuffers + 3 {
		buf := make([]byte, 0, 1024)
		p.Put(&buf)
	}
	huge := make([]byte, 0, maxPooledBytes+1)
	p.Put(&huge)
	if len(p.free) != maxPooledBuffers {
		t.Fatalf("the pool keeps %d buffers, want at most %d", len(p.free), maxPooledBuffers)
	}
	for _, f := range p.free {
		if cap(*f) > maxPooledBytes {
			t.Fatalf("the pool kept a buffer of %d bytes", cap(*f))
		}
	}
	// Asked for more than the pooled buffers hold: a new one.
	if big := p.Get(4096); cap(*big) < 4096 {
		t.Fatalf("Get(4096) returned a buffer of %d", cap(*big))
	}
}

// pieces cuts b into a BufferSlice of buffers of at most n bytes, as
// HTTP/2 frames deliver a message.
func pieces(b []byte, n int) mem.BufferSlice {
	var s mem.BufferSlice
	for len(b) > 0 {
		k := min(n, len(b))
		s = append(s, mem.SliceBuffer(append([]byte(nil), b[:k]...)))
		b = b[k:]
	}
	return s
}

// TestDecoderOwnBuffer: a message in pieces is put together in the
// decoder's own buffer, reused by the next message, and the instances of
// one message share nothing with that buffer: the next message leaves them
// unchanged.
func TestDecoderOwnBuffer(t *testing.T) {
	c := workload.Class()
	batch := func(from, n int) []byte {
		var b EncodedBatch
		for i := range n {
			if err := b.Append(workload.Build(c, from+i), c); err != nil {
				t.Fatal(err)
			}
		}
		return marshalBatch(t, &b)
	}
	d := &ReplyDecoder{Class: c}
	if err := (Codec{}).Unmarshal(pieces(batch(0, 300), 16<<10), d); err != nil || d.Err != nil || !d.Batch {
		t.Fatalf("%v %v %v", err, d.Err, d.Batch)
	}
	first := append([]*cim.Instance(nil), d.Instances...)
	if len(first) != 300 {
		t.Fatalf("%d instances, want 300", len(first))
	}
	buf := &d.buf[:1][0]
	if err := (Codec{}).Unmarshal(pieces(batch(1000, 250), 7000), d); err != nil || d.Err != nil || len(d.Instances) != 250 {
		t.Fatalf("%v %v %d", err, d.Err, len(d.Instances))
	}
	if &d.buf[:1][0] != buf {
		t.Error("the second message did not reuse the decoder's buffer")
	}
	for i, inst := range d.Instances {
		sameInstance(t, inst, workload.Build(c, 1000+i))
	}
	for i, inst := range first {
		sameInstance(t, inst, workload.Build(c, i))
	}
	// A message in one piece is read where it is.
	if err := (Codec{}).Unmarshal(pieces(batch(5, 2), 1<<20), d); err != nil || d.Err != nil || len(d.Instances) != 2 {
		t.Fatalf("%v %v %d", err, d.Err, len(d.Instances))
	}
	sameInstance(t, d.Instances[1], workload.Build(c, 6))
}

// TestInstanceLengths: the encoder writes an instance's length after its
// values, into room for two bytes: instances whose length takes one byte
// (< 128) or three (≥ 16 KiB), and those at the edges, come out as
// protobuf's own encoding of the same message, byte for byte, and read
// back the same.
func TestInstanceLengths(t *testing.T) {
	c, err := cim.Derive(nil, &cim.Class{Name: "T_Text", Properties: []cim.Property{{Name: "S", Type: cim.TypeString}, {Name: "N", Type: cim.TypeUint8}}})
	if err != nil {
		t.Fatal(err)
	}
	var lengths []int
	for _, edge := range []int{0, 128, 16384, 2097152} {
		for l := max(edge-8, 0); l < edge+4; l++ {
			lengths = append(lengths, l)
		}
	}
	for _, l := range lengths {
		text := strings.Repeat("x", l)
		inst := c.NewInstance()
		inst.Set("S", cim.String(text))
		inst.Set("N", cim.Uint8(7))
		var b EncodedBatch
		if err := b.Append(inst, c); err != nil {
			t.Fatal(err)
		}
		got := marshalBatch(t, &b)
		want, err := proto.Marshal(&EnumerateReply{Kind: &EnumerateReply_Batch{Batch: &Batch{Instances: []*Instance{{Values: []*Value{
			{Kind: &Value_Text{Text: text}}, {Kind: &Value_Unsigned{Unsigned: 7}}}}}}}})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("a text of %d: %d bytes, protobuf's %d", l, len(got), len(want))
		}
		d := decodeBytes(t, got, c)
		if d.Err != nil || len(d.Instances) != 1 || d.Instances[0].At(0).Str() != text || d.Instances[0].At(1).Uint() != 7 {
			t.Fatalf("a text of %d read back wrong: %v", l, d.Err)
		}
	}
}

// TestInstanceLengthsMixed: a batch guesses each instance's length takes
// as many bytes as the one before did; instances whose lengths take one,
// two and three bytes, in every order, still come out as protobuf's own
// encoding of the batch, byte for byte, and read back the same.
func TestInstanceLengthsMixed(t *testing.T) {
	c, err := cim.Derive(nil, &cim.Class{Name: "T_Text", Properties: []cim.Property{{Name: "S", Type: cim.TypeString}, {Name: "N", Type: cim.TypeUint8}}})
	if err != nil {
		t.Fatal(err)
	}
	// Lengths of the text: instances of 1, 2 and 3 length bytes, at and
	// around the edges, each after each.
	sizes := []int{0, 120, 121, 122, 200, 16375, 16376, 16377, 20000}
	var seq []int
	for _, a := range sizes {
		for _, b := range sizes {
			seq = append(seq, a, b)
		}
	}
	var b EncodedBatch
	want := &Batch{}
	for _, l := range seq {
		text := strings.Repeat("y", l)
		inst := c.NewInstance()
		inst.Set("S", cim.String(text))
		inst.Set("N", cim.Uint8(uint8(l)))
		if err := b.Append(inst, c); err != nil {
			t.Fatal(err)
		}
		want.Instances = append(want.Instances, &Instance{Values: []*Value{{Kind: &Value_Text{Text: text}}, {Kind: &Value_Unsigned{Unsigned: uint64(uint8(l))}}}})
	}
	got := marshalBatch(t, &b)
	wb, err := proto.Marshal(&EnumerateReply{Kind: &EnumerateReply_Batch{Batch: want}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, wb) {
		t.Fatalf("a batch of %d mixed instances: %d bytes, protobuf's %d", len(seq), len(got), len(wb))
	}
	d := decodeBytes(t, got, c)
	if d.Err != nil || len(d.Instances) != len(seq) {
		t.Fatalf("read back %d instances of %d: %v", len(d.Instances), len(seq), d.Err)
	}
	for i, l := range seq {
		if inst := d.Instances[i]; len(inst.At(0).Str()) != l || inst.At(1).Uint() != uint64(uint8(l)) {
			t.Fatalf("instance %d (a text of %d) read back wrong", i, l)
		}
	}
}
