package wbem

import (
	"context"
	"strconv"

	"github.com/gowbem/gowbem/cim"
)

// Backend runs WBEM operations. It is what an object manager (in-process) or a
// protocol client (remote) implements; the Services type builds WMI's three
// call modes on top of it, so a backend never deals with timeouts, batching,
// sinks or call results.
//
// Do runs one operation to completion in the calling goroutine. It writes the
// operation's objects to w as they come (Write blocks while the consumer is
// behind and fails once it has gone — stop then) and returns the operation's
// final status: nil for success, an *Error otherwise. Do must return promptly
// once ctx is done.
type Backend interface {
	Do(ctx context.Context, op *Op, w ResultWriter) error
}

// ResultWriter receives an operation's results.
type ResultWriter interface {
	// Write delivers one object. It blocks while the consumer's queue is full
	// and returns an error once the consumer has gone.
	Write(obj cim.Object) error
	// SetResultString records the operation's result string: the new path for
	// PutInstance, the opened namespace for OpenNamespace.
	SetResultString(s string)
	// Progress reports progress (delivered to async sinks that asked for
	// WBEM_FLAG_SEND_STATUS).
	Progress(done, total int)
}

// BatchWriter is implemented by the ResultWriter Services gives a backend.
// WriteBatch delivers objs in order, as Write would one by one, but takes
// the consumer's queue and wakes its reader once per batch rather than once
// per object: a producer that has several objects at hand (a provider that
// builds them in batches, a store read page by page) pays the hand-over
// once. It blocks while the queue is full, after queueing what fits (the
// queue's bound holds: a batch longer than the room left goes in part by
// part as the consumer reads), and returns an error once the consumer has
// gone. It keeps the objects, not the slice: the caller may reuse objs once
// WriteBatch returns. Use it by type assertion, or through WriteAll.
type BatchWriter interface {
	ResultWriter
	WriteBatch(objs []cim.Object) error
}

// WriteAll writes objs to w: in one WriteBatch when w is a BatchWriter,
// otherwise with one Write each, stopping at the first error.
func WriteAll(w ResultWriter, objs []cim.Object) error {
	if bw, ok := w.(BatchWriter); ok {
		return bw.WriteBatch(objs)
	}
	for _, obj := range objs {
		if err := w.Write(obj); err != nil {
			return err
		}
	}
	return nil
}

// Subscriber is implemented by the ResultWriter a backend gets for
// ExecNotificationQuery. The backend calls Subscribed once the subscription
// is in place — every event that happens from then on will be written — and
// the call (ExecNotificationQuery, ExecNotificationQueryAsync) returns to its
// caller only then: an event query that cannot be set up (a bad query, an
// unknown class) fails the call itself. A backend that writes an event has
// subscribed too. Calling Subscribed more than once does nothing.
type Subscriber interface {
	Subscribed()
}

// RoomWriter is implemented by a ResultWriter whose queue is bounded — the
// one Services gives a backend for a semisynchronous forward-only or an
// asynchronous call. It serves a producer that must never wait, such as an
// event engine raising events as transactions commit: it writes while the
// consumer's queue has room and keeps (and bounds) the rest itself, so that
// what it loses depends only on how far behind the consumer is.
type RoomWriter interface {
	ResultWriter
	// TryWrite writes obj when the queue has room for it now and reports
	// whether it did; it never waits. It fails once the consumer has gone.
	TryWrite(obj cim.Object) (bool, error)
	// Room tells how many objects TryWrite takes now (-1: no bound); it
	// only grows until the next write, as the consumer reads.
	Room() int
	// WaitRoom waits until the queue has room for one more object; it
	// returns ctx's error when ctx ends first, and fails once the consumer
	// has gone.
	WaitRoom(ctx context.Context) error
}

// OpKind names an IWbemServices operation.
type OpKind int

// The operations.
const (
	OpOpenNamespace OpKind = iota + 1
	OpGetObject
	OpPutClass
	OpDeleteClass
	OpCreateClassEnum
	OpPutInstance
	OpDeleteInstance
	OpCreateInstanceEnum
	OpExecQuery
	OpExecNotificationQuery
	OpExecMethod

	// The qualifier declarations of a namespace (DSP0200's GetQualifier,
	// SetQualifier, DeleteQualifier, EnumerateQualifiers): DMTF's, which WMI
	// has not. A backend without them answers WBEM_E_NOT_SUPPORTED.
	OpGetQualifier
	OpPutQualifier
	OpDeleteQualifier
	OpEnumQualifiers
)

var opNames = [...]string{"", "OpenNamespace", "GetObject", "PutClass", "DeleteClass",
	"CreateClassEnum", "PutInstance", "DeleteInstance", "CreateInstanceEnum", "ExecQuery",
	"ExecNotificationQuery", "ExecMethod", "GetQualifier", "PutQualifier", "DeleteQualifier", "EnumQualifiers"}

// String returns the IWbemServices method name.
func (k OpKind) String() string {
	if k > 0 && int(k) < len(opNames) {
		return opNames[k]
	}
	return "Op(" + strconv.Itoa(int(k)) + ")"
}

// Enumerates reports whether the operation yields an enumerator rather than a
// call result.
func (k OpKind) Enumerates() bool {
	return k == OpCreateClassEnum || k == OpCreateInstanceEnum || k == OpExecQuery || k == OpExecNotificationQuery
}

// Op describes one operation for a Backend.
type Op struct {
	Kind      OpKind
	Namespace string // the namespace of the services object, e.g. `root\cimv2`
	Flags     Flag

	// Path is the object path (GetObject, DeleteInstance, ExecMethod), the
	// class name (DeleteClass, CreateClassEnum's superclass, CreateInstanceEnum),
	// the relative namespace (OpenNamespace) or the qualifier name
	// (GetQualifier, DeleteQualifier).
	Path     string
	Language string // ExecQuery, ExecNotificationQuery
	Query    string
	Method   string        // ExecMethod
	In       *cim.Instance // ExecMethod's in-parameters; may be nil
	Object   cim.Object    // PutClass (*cim.Class), PutInstance (*cim.Instance), PutQualifier (*cim.QualifierDecl)
}
