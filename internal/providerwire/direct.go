package providerwire

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/gowbem/gowbem/cim"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// The direct codec: an enumeration's instances go from cim.Instance to bytes
// and back without the generated messages in between, which cost the
// provider an Instance, a PropertyValue and a Value (with its oneof) per
// property to build, and the daemon as many allocations to unmarshal. The
// bytes are those of provider.proto's messages — values by position
// (Instance.values) — so any protobuf library reads them, and the decoder
// reads whatever a protobuf library writes: the forms it does not read
// itself (an embedded object, a class inside an instance, a Value with
// two kinds…) it hands to the generated code, so both always agree
// (FuzzDirectDecode checks that they do).

// Field numbers of provider.proto read and written here.
const (
	fieldReplyBatch    = 1 // EnumerateReply.batch
	fieldBatchInstance = 1 // Batch.instances
	fieldClassName     = 1 // Instance.class_name
	fieldProperties    = 2 // Instance.properties
	fieldClass         = 3 // Instance.class
	fieldValues        = 4 // Instance.values
	fieldPVName        = 1 // PropertyValue.name
	fieldPVValue       = 2 // PropertyValue.value
	fieldArrayItems    = 1 // Array.items
)

// The kinds of a Value: its oneof's field numbers.
const (
	kindNone     = 0
	kindBoolean  = 1
	kindSigned   = 2
	kindUnsigned = 3
	kindReal     = 4
	kindText     = 5
	kindObject   = 6
	kindArray    = 7
)

// headroom is what an EncodedBatch keeps free before its instances: the
// EnumerateReply's tag and the Batch's length.
const headroom = 1 + binary32

// binary32 is the longest varint of a 32-bit length.
const binary32 = 5

// EncodedBatch is an EnumerateReply holding a Batch, built in its wire form
// by AppendInstance: what a provider process sends through Codec.
type EncodedBatch struct {
	buf     []byte        // headroom, then the Batch's instances field by field
	ends    []int         // where each instance's field ends in buf
	written chan struct{} // closed when gRPC hands buf back (Written)
	room    int           // bytes the last instance's length took: the guess for the next (0: none yet)
}

// Written returns a channel closed once the transport has done with b's
// bytes — gRPC hands a message's buffer back when its writer has copied the
// last of it into its own buffer, which it may flush to the connection only
// after yielding once (it does so holding under 1000 bytes) — for a sender
// to wait for before it lets more be emitted. Call it before b is sent.
func (b *EncodedBatch) Written() <-chan struct{} {
	if b.written == nil {
		b.written = make(chan struct{})
	}
	return b.written
}

// notifyPool is batchBuffers for one batch's buffer, closing written when
// the buffer comes back.
type notifyPool struct{ written chan struct{} }

func (p notifyPool) Get(n int) *[]byte { return batchBuffers.Get(n) }

func (p notifyPool) Put(b *[]byte) {
	close(p.written)
	batchBuffers.Put(b)
}

// Len returns how many instances b holds.
func (b *EncodedBatch) Len() int { return len(b.ends) }

// Size returns about how many bytes b's message takes.
func (b *EncodedBatch) Size() int { return len(b.buf) }

// Append appends inst, an instance of the request's class (its values go by
// position in class's order) or of another class (by name, as
// EncodeInstance does). It returns an error, and leaves b as it was, for an
// instance that has no wire form: a string that is not UTF-8.
func (b *EncodedBatch) Append(inst *cim.Instance, class *cim.Class) error {
	if b.buf == nil {
		b.buf = *batchBuffers.Get(headroom)
	}
	n := len(b.buf)
	var err error
	b.buf, b.room, err = appendInstanceField(b.buf, fieldBatchInstance, inst, class, b.room)
	if err != nil {
		b.buf = b.buf[:n]
		return err
	}
	b.ends = append(b.ends, len(b.buf))
	return nil
}

// Split returns a batch of b's first n instances and leaves the others in
// b; at most maxBytes of instances unless the first alone is larger.
func (b *EncodedBatch) Split(n, maxBytes int) *EncodedBatch {
	n = min(n, len(b.ends))
	for n > 1 && b.ends[n-1]-headroom > maxBytes {
		n--
	}
	if n == len(b.ends) {
		out := &EncodedBatch{buf: b.buf, ends: b.ends}
		b.buf, b.ends = nil, make([]int, 0, cap(b.ends))
		return out
	}
	cut := b.ends[n-1]
	out := &EncodedBatch{buf: b.buf[:cut:cut], ends: b.ends[:n:n]}
	rest := append(*batchBuffers.Get(headroom), b.buf[cut:]...)
	ends := make([]int, 0, max(len(b.ends)-n, 16))
	for _, e := range b.ends[n:] {
		ends = append(ends, e-cut+headroom)
	}
	b.buf, b.ends = rest, ends
	return out
}

// batchBuffers recycles the buffers of EncodedBatches once gRPC has
// written them (Codec.Marshal hands them over with the pool), so a
// provider's enumeration does not allocate a batch's worth of bytes per
// batch: they would be garbage, and the runtime would return their pages to
// the system only to ask for them again.
var batchBuffers = &bufferPool{}

// Limits of batchBuffers: it keeps at most maxPooledBuffers buffers of
// at most maxPooledBytes each, and a new buffer starts at
// firstBufferBytes, about a whole batch of small instances, so that a
// batch rarely grows by copying.
const (
	maxPooledBuffers = 8
	maxPooledBytes   = 2 * MaxBatchBytes
	firstBufferBytes = 128 << 10
)

// bufferPool is a mem.BufferPool of buffers of whatever size batches grew
// to. It is a free list rather than a sync.Pool, whose buffers every
// garbage collection drops: a provider process streaming instances
// collects garbage every few milliseconds.
type bufferPool struct {
	mu   sync.Mutex
	free []*[]byte
}

// Get implements mem.BufferPool.
func (p *bufferPool) Get(n int) *[]byte {
	p.mu.Lock()
	for len(p.free) > 0 {
		b := p.free[len(p.free)-1]
		p.free[len(p.free)-1] = nil
		p.free = p.free[:len(p.free)-1]
		if cap(*b) >= n {
			p.mu.Unlock()
			*b = (*b)[:n]
			return b
		}
	}
	p.mu.Unlock()
	b := make([]byte, n, max(n, firstBufferBytes))
	return &b
}

// Put implements mem.BufferPool.
func (p *bufferPool) Put(b *[]byte) {
	if cap(*b) > maxPooledBytes {
		return
	}
	p.mu.Lock()
	if len(p.free) < maxPooledBuffers {
		p.free = append(p.free, b)
	}
	p.mu.Unlock()
}

// message returns the EnumerateReply's bytes: the tag and length written
// into the headroom before the instances. The buffer goes back to
// batchBuffers once gRPC has freed it.
func (b *EncodedBatch) message() mem.Buffer {
	if b.buf == nil {
		b.buf = *batchBuffers.Get(headroom)
	}
	body := len(b.buf) - headroom
	start := headroom - 1 - protowire.SizeVarint(uint64(body))
	h := protowire.AppendTag(b.buf[start:start], fieldReplyBatch, protowire.BytesType)
	protowire.AppendVarint(h, uint64(body))
	var pool mem.BufferPool = batchBuffers
	if b.written != nil {
		pool = notifyPool{b.written}
		if mem.IsBelowBufferPoolingThreshold(cap(b.buf)) {
			close(b.written) // gRPC will not hand back so small a buffer
		}
	}
	whole := mem.NewBuffer(&b.buf, pool)
	head, msg := mem.SplitUnsafe(whole, start)
	head.Free()
	return msg
}

// appendInstanceField appends inst as field num (an Instance message). Its
// values go after room bytes left for their length (0 is 2: an instance of
// 128 bytes to 16 KiB), and are moved when the length takes more or fewer:
// a batch passes what the instance before took, since a provider's
// instances are mostly of a size, so that they are seldom moved. It returns
// how many bytes the length took (0 when the generated code wrote inst).
func appendInstanceField(b []byte, num protowire.Number, inst *cim.Instance, class *cim.Class, room int) ([]byte, int, error) {
	c := inst.Class()
	if class == nil {
		b, err := appendGeneric(b, num, inst, "")
		return b, 0, err
	}
	if !sameLayout(c, class) {
		b, err := appendGeneric(b, num, inst, class.Name) // another class: by name, as before
		return b, 0, err
	}
	if room < 1 || room > binary32 {
		room = 2
	}
	// Trailing NULLs are left out where the class's default is NULL too
	// (a property left out takes the default).
	last := inst.Len() - 1
	for last >= 0 && inst.At(last).IsNull() && class.Properties[last].Default.IsNull() {
		last--
	}
	// One pass: the values go after room for the length.
	start := len(b)
	b = protowire.AppendTag(b, num, protowire.BytesType)
	at := len(b)
	b = append(b, zeros[:room]...)
	for i := 0; i <= last; i++ {
		v := inst.At(i)
		if nb, ok := appendSmallValue(b, v); ok {
			b = nb
			continue
		}
		n, ok := valueSize(v)
		if !ok { // an embedded object
			b, err := appendGeneric(b[:start], num, inst, class.Name)
			return b, 0, err
		}
		if !validText(v) {
			return b[:start], 0, &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Parameter: c.Properties[i].Name,
				Description: fmt.Sprintf("property %s.%s holds a string that is not UTF-8", c.Name, c.Properties[i].Name)}
		}
		b = protowire.AppendTag(b, fieldValues, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(n))
		b = appendValue(b, v)
	}
	size := len(b) - at - room
	k := protowire.SizeVarint(uint64(size))
	switch {
	case k < room:
		copy(b[at+k:], b[at+room:])
		b = b[:len(b)-(room-k)]
	case k > room:
		b = append(b, zeros[:k-room]...)
		copy(b[at+k:], b[at+room:len(b)-(k-room)])
	}
	protowire.AppendVarint(b[at:at], uint64(size))
	return b, k, nil
}

// zeros is room for a length, appended before it is known.
var zeros [binary32]byte

// Tags of one byte the encoder writes.
const (
	tagValues   = byte(fieldValues<<3 | protowire.BytesType)
	tagBoolean  = byte(kindBoolean<<3 | protowire.VarintType)
	tagSigned   = byte(kindSigned<<3 | protowire.VarintType)
	tagUnsigned = byte(kindUnsigned<<3 | protowire.VarintType)
	tagReal     = byte(kindReal<<3 | protowire.Fixed64Type)
	tagText     = byte(kindText<<3 | protowire.BytesType)
)

// appendSmallValue appends v as an Instance.values field when v is a
// scalar whose Value message is shorter than 128 bytes (its length one
// byte), as appendValue would write it, in one step: what most values
// are. False, and b as it was, for any other value.
func appendSmallValue(b []byte, v cim.Value) ([]byte, bool) {
	t := v.Type()
	switch {
	case v.IsNull():
		return append(b, tagValues, 0), true
	case t == cim.TypeString || t == cim.TypeDatetime || t == cim.TypeReference:
		s := v.Str()
		if len(s) > 125 || !utf8.ValidString(s) {
			return b, false
		}
		return append(append(b, tagValues, byte(2+len(s)), tagText, byte(len(s))), s...), true
	case t == cim.TypeBoolean:
		return append(b, tagValues, 2, tagBoolean, byte(protowire.EncodeBool(v.Bool()))), true
	case t.IsArray():
		return b, false
	case t.IsSigned():
		return appendSmallVarint(b, tagSigned, protowire.EncodeZigZag(v.Int())), true
	case t.IsUnsigned() || t == cim.TypeChar16:
		return appendSmallVarint(b, tagUnsigned, v.Uint()), true
	case t.IsReal():
		return protowire.AppendFixed64(append(b, tagValues, 9, tagReal), math.Float64bits(v.Float())), true
	}
	return b, false
}

// appendSmallVarint appends a Value field of one varint field, tag.
func appendSmallVarint(b []byte, tag byte, x uint64) []byte {
	if x < 0x80 {
		return append(b, tagValues, 2, tag, byte(x))
	}
	return protowire.AppendVarint(append(b, tagValues, byte(1+protowire.SizeVarint(x)), tag), x)
}

// appendGeneric appends inst as field num by way of the generated code.
func appendGeneric(b []byte, num protowire.Number, inst *cim.Instance, asked string) ([]byte, error) {
	m, err := proto.Marshal(EncodeInstance(inst, asked))
	if err != nil {
		return b, &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Description: fmt.Sprintf("an instance of %s has no wire form: %v", inst.ClassName(), err)}
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m), nil
}

// sameLayout says whether c's instances may go by position in the order of
// class: the same class, or one of the same name with the same properties
// in the same order.
func sameLayout(c, class *cim.Class) bool {
	if c == class {
		return true
	}
	if c.Name != class.Name || len(c.Properties) != len(class.Properties) {
		return false
	}
	for i := range c.Properties {
		if c.Properties[i].Name != class.Properties[i].Name || c.Properties[i].Type != class.Properties[i].Type {
			return false
		}
	}
	return true
}

func validText(v cim.Value) bool {
	t := v.Type()
	switch {
	case t.IsArray():
		if t.Elem().IsInteger() || t.Elem().IsReal() || t.Elem() == cim.TypeBoolean || t.Elem() == cim.TypeChar16 {
			return true
		}
		for _, e := range v.Elems() {
			if !validText(e) {
				return false
			}
		}
		return true
	case t == cim.TypeString || t == cim.TypeDatetime || t == cim.TypeReference:
		return utf8.ValidString(v.Str())
	}
	return true
}

// valueSize returns the size of v's Value message; false for an embedded
// object, which the direct encoder leaves to the generated code.
func valueSize(v cim.Value) (int, bool) {
	t := v.Type()
	switch {
	case v.IsNull():
		return 0, true
	case t.IsArray():
		items := 0
		for _, e := range v.Elems() {
			n, ok := valueSize(e)
			if !ok {
				return 0, false
			}
			items += 1 + protowire.SizeVarint(uint64(n)) + n
		}
		return 1 + protowire.SizeVarint(uint64(items)) + items, true
	case t == cim.TypeBoolean:
		return 2, true
	case t.IsSigned():
		return 1 + protowire.SizeVarint(protowire.EncodeZigZag(v.Int())), true
	case t.IsUnsigned() || t == cim.TypeChar16:
		return 1 + protowire.SizeVarint(v.Uint()), true
	case t.IsReal():
		return 9, true
	case t == cim.TypeObject:
		return 0, false
	default:
		n := len(v.Str())
		return 1 + protowire.SizeVarint(uint64(n)) + n, true
	}
}

// appendValue appends the fields of v's Value message.
func appendValue(b []byte, v cim.Value) []byte {
	t := v.Type()
	switch {
	case v.IsNull():
		return b
	case t.IsArray():
		n, _ := valueSize(v)
		b = protowire.AppendTag(b, kindArray, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(n-1-protowire.SizeVarint(uint64(n))))
		for _, e := range v.Elems() {
			en, _ := valueSize(e)
			b = protowire.AppendTag(b, fieldArrayItems, protowire.BytesType)
			b = protowire.AppendVarint(b, uint64(en))
			b = appendValue(b, e)
		}
		return b
	case t == cim.TypeBoolean:
		return protowire.AppendVarint(protowire.AppendTag(b, kindBoolean, protowire.VarintType), protowire.EncodeBool(v.Bool()))
	case t.IsSigned():
		return protowire.AppendVarint(protowire.AppendTag(b, kindSigned, protowire.VarintType), protowire.EncodeZigZag(v.Int()))
	case t.IsUnsigned() || t == cim.TypeChar16:
		return protowire.AppendVarint(protowire.AppendTag(b, kindUnsigned, protowire.VarintType), v.Uint())
	case t.IsReal():
		return protowire.AppendFixed64(protowire.AppendTag(b, kindReal, protowire.Fixed64Type), math.Float64bits(v.Float()))
	default:
		return protowire.AppendString(protowire.AppendTag(b, kindText, protowire.BytesType), v.Str())
	}
}

// ReplyDecoder reads an EnumerateReply straight from its bytes: a Batch's
// instances become cim.Instances of Class (the class of the request), any
// other message a generated one. Codec.Unmarshal fills it in.
type ReplyDecoder struct {
	// Class is the class of the request: instances of it may come by
	// position or by name.
	Class *cim.Class

	// Batch says the message was a Batch, whose instances are Instances.
	Batch     bool
	Instances []*cim.Instance
	// Reply is any other message (Progress, Done, or nothing set).
	Reply *EnumerateReply
	// Err is set when the message or one of its instances was malformed
	// (a WBEM status): the provider's fault, not the connection's.
	Err error

	buf     []byte      // Codec.Unmarshal puts a message's pieces together here
	texts   []textEntry // per property of textsOf: the last text read by position
	textsOf *cim.Class
	arena   textArena // where new texts are copied and new instances made
}

// textEntry is the last text an enumeration's instances sent by position
// for one property, and the value it became. The next instance that sends
// the same text gets the same value: its string is shared (strings do not
// change) and a datetime is not parsed again. Instances often repeat a
// text (a status, an owner, a host name, a time), and each new one would
// cost the daemon a copy and a check. What an instance keeps alive through
// its strings is only texts, never the message: the chunk of the decoder's
// textArena its own new texts went to (at most arenaChunk bytes of texts
// of instances read about when it was), and per shared text that of the
// instance that first sent it.
type textEntry struct {
	text string
	v    cim.Value
	op   uint8 // how the property's value is read (usualOp), set once per class
}

// What decodeDirect's first loop expects of a property's value, by the
// property's type: the form encoders write for that type (a one-byte tag
// and length, a Value of one field of the type's kind), read in a tight
// loop; anything else (another kind, an array, a longer form…) ends the
// loop and the general one reads it.
const (
	opOther = iota // the general loop reads it: arrays, real32, char16, objects…
	opText         // string, datetime, reference: a text
	opBool
	opU8
	opU16
	opU32
	opU64
	opS8
	opS16
	opS32
	opS64
	opReal64
)

// usualOp returns what decodeDirect's first loop expects of a value of
// type t.
func usualOp(t cim.Type) uint8 {
	switch t {
	case cim.TypeString, cim.TypeDatetime, cim.TypeReference:
		return opText
	case cim.TypeBoolean:
		return opBool
	case cim.TypeUint8:
		return opU8
	case cim.TypeUint16:
		return opU16
	case cim.TypeUint32:
		return opU32
	case cim.TypeUint64:
		return opU64
	case cim.TypeSint8:
		return opS8
	case cim.TypeSint16:
		return opS16
	case cim.TypeSint32:
		return opS32
	case cim.TypeSint64:
		return opS64
	case cim.TypeReal64:
		return opReal64
	}
	return opOther
}

// textsFor returns the per-property state of an enumeration of class:
// no text read yet, and the op of each property.
func textsFor(class *cim.Class) []textEntry {
	texts := make([]textEntry, len(class.Properties))
	for i := range texts {
		texts[i].op = usualOp(class.Properties[i].Type)
	}
	return texts
}

// Decode reads one EnumerateReply message.
func (d *ReplyDecoder) Decode(b []byte) {
	d.Batch, d.Reply, d.Err = false, nil, nil
	clear(d.Instances)
	d.Instances = d.Instances[:0]
	// The usual message: a Batch and nothing else.
	if num, typ, n := protowire.ConsumeTag(b); n > 0 && num == fieldReplyBatch && typ == protowire.BytesType {
		if body, m := protowire.ConsumeBytes(b[n:]); m > 0 && n+m == len(b) {
			d.Batch = true
			d.Err = d.batch(body)
			return
		}
	}
	var r EnumerateReply
	if err := proto.Unmarshal(b, &r); err != nil {
		d.Err = wireErrorf("%v", err)
		return
	}
	bt := r.GetBatch()
	if bt == nil {
		d.Reply = &r
		return
	}
	d.Batch = true
	for _, m := range bt.Instances {
		inst, err := DecodeInstance(m, d.Class)
		if err != nil {
			d.Err = err
			return
		}
		d.Instances = append(d.Instances, inst)
	}
}

func (d *ReplyDecoder) batch(b []byte) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return wireErrorf("%v", protowire.ParseError(n))
		}
		if num != fieldBatchInstance || typ != protowire.BytesType {
			m := protowire.ConsumeFieldValue(num, typ, b[n:])
			if m < 0 {
				return wireErrorf("%v", protowire.ParseError(m))
			}
			b = b[n+m:]
			continue
		}
		ib, m := protowire.ConsumeBytes(b[n:])
		if m < 0 {
			return wireErrorf("%v", protowire.ParseError(m))
		}
		b = b[n+m:]
		if d.textsOf != d.Class {
			d.texts, d.textsOf = nil, d.Class
			if d.Class != nil {
				d.texts = textsFor(d.Class)
			}
			d.arena.slabs = true
		}
		inst, err := decodeInstanceBytes(ib, d.Class, d.texts, &d.arena)
		if err != nil {
			return err
		}
		d.Instances = append(d.Instances, inst)
	}
	return nil
}

// errGeneric says the direct decoder leaves an instance to the generated code.
var errGeneric = fmt.Errorf("not read directly")

// DecodeInstanceBytes returns the instance an Instance message's bytes
// describe, as proto.Unmarshal and DecodeInstance would, its texts copied
// into one allocation of the message's size (a long text into one of its
// own).
func DecodeInstanceBytes(b []byte, class *cim.Class) (*cim.Instance, error) {
	return decodeInstanceBytes(b, class, nil, &textArena{chunk: len(b)})
}

// decodeInstanceBytes is DecodeInstanceBytes reusing the values of texts
// (one entry per property of class) for the texts it sent before (nil
// reuses nothing), and copying new texts into arena.
func decodeInstanceBytes(b []byte, class *cim.Class, texts []textEntry, arena *textArena) (*cim.Instance, error) {
	if inst, ok := decodeDirect(b, class, texts, arena); ok {
		return inst, nil
	}
	// Something the direct reading leaves to the generated code, or an
	// error, which the generated code then describes.
	var m Instance
	if err := proto.Unmarshal(b, &m); err != nil {
		return nil, wireErrorf("%v", err)
	}
	return DecodeInstance(&m, class)
}

// textArena is where a decoder copies the new texts it reads: chunks of
// memory the strings it returns are parts of, each written once, never
// again (a chunk is left to the collector once full). One allocation serves
// many instances' texts instead of one each; what a kept instance holds
// through them is at most one chunk of other instances' texts.
//
// A ReplyDecoder's arena also makes the instances it reads, in slabs
// (cim.Class.NewNullInstances), each handed out once: two allocations for
// a slab's instances instead of one each. What a kept instance holds
// through its slab is the slab's other instances, at most about slabBytes
// of values (and the texts they hold).
type textArena struct {
	free  []byte // the current chunk: its bytes up to len are strings' already
	chunk int    // the size of a chunk; 0 is arenaChunk

	insts []cim.Instance // the current slab's instances not yet handed out
	slabs bool           // make instances in slabs (else one by one)
}

// slabBytes bounds the values of the instances a decoder makes together:
// a slab of the workload's 10-property instances holds 68 of them (16 KiB
// of values, 4 KiB of instances).
const slabBytes = 16 << 10

// slabLen returns how many instances of class a slab holds.
func slabLen(class *cim.Class) int {
	return slabBytes / (int(unsafe.Sizeof(cim.Value{})) * max(1, len(class.Properties)))
}

// instance returns a new instance of class, every property NULL: the next
// of the slab when the arena makes slabs.
func (a *textArena) instance(class *cim.Class) *cim.Instance {
	if !a.slabs {
		return class.NewNullInstance()
	}
	if len(a.insts) == 0 || a.insts[0].Class() != class {
		n := slabLen(class)
		if n < 2 {
			a.insts = nil
			return class.NewNullInstance()
		}
		a.insts = class.NewNullInstances(n)
	}
	inst := &a.insts[0]
	a.insts = a.insts[1:]
	return inst
}

// arenaChunk is the size of a ReplyDecoder's text chunks: about a hundred
// instances' new texts, and little for a kept instance to hold.
const arenaChunk = 1 << 10

// copy returns text as a string of the arena's memory; a text longer than
// a quarter of a chunk gets an allocation of its own.
func (a *textArena) copy(text []byte) string {
	if len(text) == 0 {
		return ""
	}
	if len(text) > cap(a.free)-len(a.free) {
		size := a.chunk
		if size == 0 {
			size = arenaChunk
		}
		if len(text) > size/4 {
			return string(text)
		}
		a.free = make([]byte, 0, size)
	}
	n := len(a.free)
	a.free = append(a.free, text...)
	return unsafe.String(&a.free[n], len(text))
}

// decodeDirect reads an instance in one pass when its class name, if any,
// comes before its values (as every encoder writes it); false for anything
// else and for every error.
func decodeDirect(b []byte, class *cim.Class, texts []textEntry, arena *textArena) (*cim.Instance, bool) {
	var name []byte
	var d directInstance // d.inst is nil until the first value
	named := false
	k := 0
	r := b
	if len(texts) > 0 && class != nil && len(texts) == len(class.Properties) && len(r) >= 2 && r[0] == tagValues {
		// The usual instance: values by position from the first field.
		d.start(b, nil, class, arena)
		var ok bool
		if k, r, ok = d.usual(r, texts, arena); !ok {
			return nil, false
		}
	}
	for len(r) > 0 {
		var num protowire.Number
		var typ protowire.Type
		var field []byte
		var n, m int
		if len(r) >= 2 && r[0] == tagValues && r[1] < 0x80 && 2+int(r[1]) <= len(r) {
			// The usual field, as encoders write it: a value by position,
			// its tag and length one byte each.
			num, typ, field, n, m = fieldValues, protowire.BytesType, r[2:2+int(r[1])], 1, 1+int(r[1])
		} else {
			num, typ, n = protowire.ConsumeTag(r)
			if n < 0 {
				return nil, false
			}
			if typ == protowire.BytesType {
				field, m = protowire.ConsumeBytes(r[n:])
			} else {
				m = protowire.ConsumeFieldValue(num, typ, r[n:])
			}
			if m < 0 {
				return nil, false
			}
		}
		if typ == protowire.BytesType {
			switch num {
			case fieldClassName:
				if d.inst != nil {
					return nil, false // named after its values
				}
				name = field
			case fieldClass:
				return nil, false
			case fieldProperties:
				named = true
			case fieldValues:
				if d.inst == nil && !d.start(b, name, class, arena) {
					return nil, false
				}
				if k >= len(d.c.Properties) {
					return nil, false
				}
				t := d.c.Properties[k].Type
				if text, ok := plainText(field); ok && !t.IsArray() {
					if k < len(texts) && texts[k].v.Type() != cim.TypeEmpty && string(text) == texts[k].text {
						d.inst.SetAt(k, texts[k].v)
					} else if !d.newText(k, text, texts, arena) {
						return nil, false
					}
					k++
					break
				}
				v, ok := smallScalar(field, t)
				if !ok {
					var err error
					if v, err = d.value(field, t); err != nil {
						return nil, false
					}
				}
				d.inst.SetAt(k, v)
				k++
			}
		}
		r = r[n+m:]
	}
	if d.inst == nil && !d.start(b, name, class, arena) {
		return nil, false
	}
	// Properties left out take their defaults (the instance starts NULL:
	// those sent by position are set already).
	for i := k; i < len(d.c.Properties); i++ {
		d.inst.SetAt(i, d.c.Properties[i].Default)
	}
	if named && d.named() != nil {
		return nil, false
	}
	return d.inst, true
}

// newText sets property k to text, a text sent by position that is not
// the one texts has for k: copied into arena, made a value of k's type, and
// remembered in texts. False when text is not UTF-8 or not a value of that
// type.
func (d *directInstance) newText(k int, text []byte, texts []textEntry, arena *textArena) bool {
	if !utf8.Valid(text) {
		return false
	}
	s := arena.copy(text)
	v, err := scalarOf(kindText, 0, s, d.c.Properties[k].Type)
	if err != nil {
		return false
	}
	d.inst.SetAt(k, v)
	if k < len(texts) && v.Type() != cim.TypeEmpty {
		texts[k].text, texts[k].v = s, v
	}
	return true
}

// usual reads the values of the usual instance, by position from its first
// field, each in the form encoders write for its property's type (a
// one-byte tag and length, a Value of one field of the type's kind:
// texts[k].op), in a tight loop, until something else comes: it returns
// how many properties it read and the rest of the message, which
// decodeDirect's general loop reads. False for an error.
func (d *directInstance) usual(r []byte, texts []textEntry, arena *textArena) (int, []byte, bool) {
	inst := d.inst
	k := 0
	for k < len(texts) && len(r) >= 2 && r[0] == tagValues {
		l := int(r[1])
		if l >= 0x80 || 2+l > len(r) {
			break
		}
		f := r[2 : 2+l]
		var v cim.Value
		switch op := texts[k].op; {
		case l == 0: // NULL, as the instance starts
			r = r[2:]
			k++
			continue
		case op == opText:
			if l < 2 || f[0] != tagText || int(f[1]) != l-2 {
				return k, r, true
			}
			text := f[2:]
			if texts[k].v.Type() == cim.TypeEmpty || string(text) != texts[k].text {
				if !d.newText(k, text, texts, arena) {
					return k, r, false
				}
				r = r[2+l:]
				k++
				continue
			}
			v = texts[k].v
		case op == opBool:
			if l != 2 || f[0] != tagBoolean || f[1] >= 0x80 {
				return k, r, true
			}
			v = cim.Bool(f[1] != 0)
		case op >= opU8 && op <= opU64:
			x, ok := usualVarint(f, tagUnsigned)
			if !ok {
				return k, r, true
			}
			switch {
			case op == opU64:
				v = cim.Uint64(x)
			case op == opU32 && x <= math.MaxUint32:
				v = cim.Uint32(uint32(x))
			case op == opU16 && x <= math.MaxUint16:
				v = cim.Uint16(uint16(x))
			case op == opU8 && x <= math.MaxUint8:
				v = cim.Uint8(uint8(x))
			default:
				return k, r, true // out of range: the general loop says so
			}
		case op >= opS8 && op <= opS64:
			x, ok := usualVarint(f, tagSigned)
			if !ok {
				return k, r, true
			}
			switch n := protowire.DecodeZigZag(x); {
			case op == opS64:
				v = cim.Sint64(n)
			case op == opS32 && n == int64(int32(n)):
				v = cim.Sint32(int32(n))
			case op == opS16 && n == int64(int16(n)):
				v = cim.Sint16(int16(n))
			case op == opS8 && n == int64(int8(n)):
				v = cim.Sint8(int8(n))
			default:
				return k, r, true
			}
		case op == opReal64:
			if l != 9 || f[0] != tagReal {
				return k, r, true
			}
			v = cim.Real64(math.Float64frombits(binary.LittleEndian.Uint64(f[1:])))
		default:
			return k, r, true
		}
		inst.SetAt(k, v)
		r = r[2+l:]
		k++
	}
	return k, r, true
}

// usualVarint reads a Value of one varint field, tag; false for anything
// else.
func usualVarint(f []byte, tag byte) (uint64, bool) {
	if len(f) == 2 && f[0] == tag && f[1] < 0x80 {
		return uint64(f[1]), true
	}
	if len(f) < 2 || f[0] != tag {
		return 0, false
	}
	x, m := protowire.ConsumeVarint(f[1:])
	return x, m == len(f)-1
}

// plainText returns the text of a Value message of one field, a text, as
// encoders write it; false for any other Value.
func plainText(b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != tagText {
		return nil, false
	}
	if b[1] < 0x80 { // a text shorter than 128 bytes: its length is one byte
		return b[2:], int(b[1]) == len(b)-2
	}
	v, m := protowire.ConsumeBytes(b[1:])
	if m < 0 || 1+m != len(b) {
		return nil, false
	}
	return v, true
}

// smallScalar reads a Value message that is one field, a boolean, an
// integer or a real, as encoders write it, into a value of type t of the
// same kind (a boolean, an integer of t's sign, a real64); false for
// anything else, which d.value reads. What it returns is what d.value
// would.
func smallScalar(b []byte, t cim.Type) (cim.Value, bool) {
	if len(b) < 2 {
		return cim.Null, false
	}
	switch b[0] {
	case tagBoolean:
		if len(b) == 2 && b[1] < 0x80 && t == cim.TypeBoolean {
			return cim.Bool(b[1] != 0), true
		}
	case tagUnsigned:
		if !t.IsUnsigned() {
			return cim.Null, false
		}
		if x, m := protowire.ConsumeVarint(b[1:]); m == len(b)-1 {
			v, err := uintOf(t, x)
			return v, err == nil
		}
	case tagSigned:
		if !t.IsSigned() {
			return cim.Null, false
		}
		if x, m := protowire.ConsumeVarint(b[1:]); m == len(b)-1 {
			v, err := intOf(t, protowire.DecodeZigZag(x))
			return v, err == nil
		}
	case tagReal:
		if len(b) == 9 && t == cim.TypeReal64 {
			return cim.Real64(math.Float64frombits(binary.LittleEndian.Uint64(b[1:]))), true
		}
	}
	return cim.Null, false
}

// start starts reading the instance b of class, named name; false when
// the name is not UTF-8 or not class's.
func (d *directInstance) start(b, name []byte, class *cim.Class, arena *textArena) bool {
	if class == nil || !utf8.Valid(name) || len(name) > 0 && !cim.EqualFold(string(name), class.Name) {
		return false
	}
	*d = directInstance{b: b, c: class, inst: arena.instance(class)}
	return true
}

// directInstance is one instance being read.
type directInstance struct {
	b     []byte // the Instance message
	arena string // b as a string, made at the first text: every text is a part of it
	c     *cim.Class
	inst  *cim.Instance
}

// text returns s, a part of d.b, as a part of d.arena.
func (d *directInstance) text(s []byte) string {
	if len(s) == 0 {
		return ""
	}
	if d.arena == "" {
		d.arena = string(d.b)
	}
	off := cap(d.b) - cap(s)
	return d.arena[off : off+len(s)]
}

// named sets the properties the instance names (PropertyValue), after the
// values by position, as DecodeInstance does.
func (d *directInstance) named() error {
	c := d.c
	i := 0
	for r := d.b; len(r) > 0; {
		num, typ, n := protowire.ConsumeTag(r)
		m := protowire.ConsumeFieldValue(num, typ, r[n:])
		if num == fieldProperties && typ == protowire.BytesType {
			pv, _ := protowire.ConsumeBytes(r[n:])
			var name, vb []byte
			values := 0
			for q := pv; len(q) > 0; {
				num, typ, n := protowire.ConsumeTag(q)
				if n < 0 {
					return errGeneric
				}
				m := protowire.ConsumeFieldValue(num, typ, q[n:])
				if m < 0 {
					return errGeneric
				}
				if typ == protowire.BytesType {
					switch num {
					case fieldPVName:
						name, _ = protowire.ConsumeBytes(q[n:])
					case fieldPVValue:
						vb, _ = protowire.ConsumeBytes(q[n:])
						values++
					}
				}
				q = q[n+m:]
			}
			if values > 1 || !utf8.Valid(name) {
				return errGeneric // merged values; what is wrong with the name
			}
			k := -1
			if i < len(c.Properties) && c.Properties[i].Name == string(name) {
				k = i // the usual case: every property, in class order
			} else {
				k = c.PropertyIndex(string(name))
			}
			if k < 0 {
				return &cim.Error{Status: cim.WBEM_E_INVALID_PROPERTY, Parameter: string(name),
					Description: fmt.Sprintf("class %s has no property %s", c.Name, name)}
			}
			v, err := d.value(vb, c.Properties[k].Type)
			if err != nil {
				if err == errGeneric {
					return err
				}
				return fmt.Errorf("property %s.%s: %w", c.Name, name, err)
			}
			d.inst.SetAt(k, v)
			i++
		}
		r = r[n+m:]
	}
	return nil
}

// value reads a Value message of type t.
func (d *directInstance) value(b []byte, t cim.Type) (cim.Value, error) {
	kind, n, text, err := d.kindOf(b)
	if err != nil {
		return cim.Null, err
	}
	switch kind {
	case kindObject:
		return cim.Null, errGeneric
	case kindArray:
		if t == cim.TypeEmpty {
			return cim.Null, wireErrorf("an array without a type")
		}
		if !t.IsArray() {
			return cim.Null, wireErrorf("an array where a %s was expected", t)
		}
		count := 0
		for r := text; len(r) > 0; {
			num, typ, n := protowire.ConsumeTag(r)
			if n < 0 {
				return cim.Null, errGeneric
			}
			m := protowire.ConsumeFieldValue(num, typ, r[n:])
			if m < 0 {
				return cim.Null, errGeneric
			}
			if num == fieldArrayItems && typ == protowire.BytesType {
				count++
			}
			r = r[n+m:]
		}
		items := make([]cim.Value, 0, count)
		for r := text; len(r) > 0; {
			num, typ, n := protowire.ConsumeTag(r)
			m := protowire.ConsumeFieldValue(num, typ, r[n:])
			if num == fieldArrayItems && typ == protowire.BytesType {
				eb, _ := protowire.ConsumeBytes(r[n:])
				ek, en, et, err := d.kindOf(eb)
				if err != nil {
					return cim.Null, err
				}
				if ek == kindObject || ek == kindArray {
					return cim.Null, errGeneric
				}
				e, err := scalarOf(ek, en, d.text(et), t.Elem())
				if err != nil {
					return cim.Null, err
				}
				items = append(items, e)
			}
			r = r[n+m:]
		}
		return cim.ArrayOf(t.Elem(), items)
	}
	return scalarOf(kind, n, d.text(text), t)
}

// kindOf reads a Value message: its kind, a number (or float bits) or the
// bytes of a text or an array. A Value the generated code reads otherwise
// than the last field wins — two kinds, a kind twice — is errGeneric.
func (d *directInstance) kindOf(b []byte) (kind int, n uint64, text []byte, err error) {
	// The usual Value, as encoders write it: one field, a one-byte tag.
	if len(b) >= 2 && b[0] < 0x80 {
		num, typ := protowire.Number(b[0]>>3), protowire.Type(b[0]&7)
		switch {
		case typ == protowire.VarintType && (num == kindBoolean || num == kindSigned || num == kindUnsigned):
			if v, m := protowire.ConsumeVarint(b[1:]); m > 0 && 1+m == len(b) {
				if num == kindSigned {
					v = uint64(protowire.DecodeZigZag(v))
				}
				return int(num), v, nil, nil
			}
		case typ == protowire.BytesType && num == kindText:
			if v, m := protowire.ConsumeBytes(b[1:]); m > 0 && 1+m == len(b) && utf8.Valid(v) {
				return kindText, 0, v, nil
			}
		}
	}
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return 0, 0, nil, errGeneric
		}
		m := protowire.ConsumeFieldValue(num, typ, b[l:])
		if m < 0 {
			return 0, 0, nil, errGeneric
		}
		var ok bool
		switch num {
		case kindBoolean, kindSigned, kindUnsigned:
			ok = typ == protowire.VarintType
		case kindReal:
			ok = typ == protowire.Fixed64Type
		case kindText, kindObject, kindArray:
			ok = typ == protowire.BytesType
		}
		if ok {
			if kind != kindNone {
				return 0, 0, nil, errGeneric
			}
			kind = int(num)
			switch typ {
			case protowire.VarintType:
				n, _ = protowire.ConsumeVarint(b[l:])
				if kind == kindSigned {
					n = uint64(protowire.DecodeZigZag(n))
				}
			case protowire.Fixed64Type:
				n, _ = protowire.ConsumeFixed64(b[l:])
			default:
				text, _ = protowire.ConsumeBytes(b[l:])
				if kind == kindText && !utf8.Valid(text) {
					return 0, 0, nil, errGeneric
				}
			}
		}
		b = b[l+m:]
	}
	return kind, n, text, nil
}

// scalarOf returns the value of type t a Value of kind holds (n: the
// number, or the bits of a real; text: a text's).
func scalarOf(kind int, n uint64, text string, t cim.Type) (cim.Value, error) {
	var v cim.Value
	switch kind {
	case kindNone:
		return cim.Null, nil
	case kindBoolean:
		v = cim.Bool(n != 0)
	case kindSigned:
		if t.IsSigned() || t == cim.TypeEmpty {
			return intOf(t, int64(n))
		}
		v = cim.Sint64(int64(n))
	case kindUnsigned:
		if t.IsUnsigned() || t == cim.TypeEmpty {
			return uintOf(t, n)
		}
		v = cim.Uint64(n)
	case kindReal:
		v = cim.Real64(math.Float64frombits(n))
	case kindText:
		if t == cim.TypeString || t == cim.TypeEmpty {
			return cim.String(text), nil
		}
		v = cim.String(text)
	default:
		return cim.Null, wireErrorf("a value of an unknown kind")
	}
	if t == cim.TypeEmpty {
		return v, nil
	}
	return v.Convert(t)
}

// Codec is the gRPC codec of both sides of an enumeration: protobuf's, but
// an EncodedBatch is sent as it is and a ReplyDecoder receives by reading
// the bytes itself. Its name is protobuf's, so the other side sees nothing
// but protobuf.
type Codec struct{}

var protoCodec = encoding.GetCodecV2(grpcproto.Name)

// Name implements encoding.CodecV2.
func (Codec) Name() string { return grpcproto.Name }

// Marshal implements encoding.CodecV2.
func (Codec) Marshal(v any) (mem.BufferSlice, error) {
	if b, ok := v.(*EncodedBatch); ok {
		return mem.BufferSlice{b.message()}, nil
	}
	return protoCodec.Marshal(v)
}

// Unmarshal implements encoding.CodecV2. A ReplyDecoder keeps what is wrong
// with a message in its Err: the provider is at fault, not the stream.
func (Codec) Unmarshal(data mem.BufferSlice, v any) error {
	if d, ok := v.(*ReplyDecoder); ok {
		// A message arrives in pieces (HTTP/2 frames): put together in the
		// decoder's own buffer, which Decode copies nothing from but
		// strings, so the next message reuses it. (gRPC's pool would hand
		// out a cleared 1 MiB buffer per batch, and lose its buffers at
		// every collection: a batch's worth of memory cleared, and pages
		// the runtime returns to the system and faults back in.)
		if len(data) == 1 {
			d.Decode(data[0].ReadOnlyData())
			return nil
		}
		n := data.Len()
		if cap(d.buf) < n {
			d.buf = make([]byte, n, max(n, 2*cap(d.buf)))
		}
		d.buf = d.buf[:n]
		data.CopyTo(d.buf)
		d.Decode(d.buf)
		return nil
	}
	return protoCodec.Unmarshal(data, v)
}
