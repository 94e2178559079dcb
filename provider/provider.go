// Package provider is the contract between gowbem's object manager and the code
// that supplies instances and methods of dynamic classes.
//
// A class names its provider with the qualifiers [Dynamic, Provider("name")];
// the object manager looks the name up among registered providers. A provider
// is registered as what it primarily is — an InstanceProvider, or a
// MethodProvider that serves only methods (cimom's RegisterProvider and
// RegisterMethodProvider take these types, as database/sql's Register takes a
// driver.Driver; an EventProvider that serves no instances is registered
// with RegisterEventProvider) — and the optional interfaces (QueryProvider,
// InstanceWriter, MethodProvider, AssociationProvider, EventProvider,
// InstanceEventProvider) add capabilities and are found by type assertion,
// as database/sql/driver grows. A provider states
// the optional interfaces it means to implement with compile-time assertions
// (var _ provider.QueryProvider = (*MyProvider)(nil)), so that a changed
// signature fails the build instead of silently dropping the capability.
//
// Event providers raise events (see EventProvider): extrinsic events of their
// own event classes, and the creation, deletion and modification events of
// the instances they serve, so that subscribers need not poll. The object
// manager starts them only while someone subscribes, passes them each
// subscription's query, and filters what they raise; their sink never blocks.
//
// Providers stream: they write each instance to an Emitter as soon as it is
// built. Emit blocks while the consumer's queue is full and returns an error
// once the consumer has gone (Release, cancellation, a dropped connection); a
// provider must then return promptly, and must honour ctx. A provider that
// panics fails only the call it was serving, with WBEM_E_PROVIDER_FAILURE.
// A panic in a goroutine the provider starts itself is beyond the object
// manager's recover: in-process it ends the whole program, so such a
// goroutine must recover its own panics (a provider that cannot promise
// that belongs out of process). A provider that ignores ctx still holds a
// goroutine until it returns, though its caller is answered at the
// operation's timeout.
//
// Who is calling: ctx carries the authenticated caller
// (identity.FromContext; none in-process). The object manager has checked
// the namespace's rights before the call; a provider that changes the
// system checks further and acts with the caller's rights, as WMI's
// providers impersonate their client (see providers/host).
package provider

import (
	"context"
	"strconv"

	"github.com/gowbem/gowbem/cim"
)

// Emitter receives the instances a provider produces.
type Emitter interface {
	// Emit hands over one instance. The provider must not modify it afterwards.
	// Emit blocks while the consumer is behind, and returns an error once the
	// consumer has gone; the provider then stops and returns that error.
	Emit(inst *cim.Instance) error
}

// BatchEmitter is implemented by the Emitter the object manager hands to
// providers. A provider that has several instances at hand (it builds them
// in batches, or reads them a page at a time) hands them over with one
// EmitBatch, and the object manager pays its consumer's queue (a lock and a
// wake-up) once per batch instead of once per instance. Instances handed
// over in a batch reach the consumer only when EmitBatch is called: a
// provider that is slow between instances should emit each as it comes.
// Use it by type assertion, or through EmitAll.
type BatchEmitter interface {
	Emitter
	// EmitBatch hands over insts in order, as Emit would one by one (nil
	// entries are skipped). It blocks while the consumer is behind, possibly
	// after handing over part of the batch, and returns an error once the
	// consumer has gone; the provider then stops and returns that error.
	// The provider must not modify the instances afterwards; it may reuse
	// the slice once EmitBatch returns.
	EmitBatch(insts []*cim.Instance) error
}

// EmitAll hands insts to out: in one EmitBatch when out is a BatchEmitter,
// otherwise with one Emit each, stopping at the first error.
func EmitAll(out Emitter, insts []*cim.Instance) error {
	if be, ok := out.(BatchEmitter); ok {
		return be.EmitBatch(insts)
	}
	for _, inst := range insts {
		if err := out.Emit(inst); err != nil {
			return err
		}
	}
	return nil
}

// Progresser is implemented by the Emitter the object manager hands to
// providers: a provider may report how far it has come, which reaches async
// callers that asked for WBEM_FLAG_SEND_STATUS. Use it by type assertion.
type Progresser interface {
	Progress(done, total int)
}

// EmitFunc adapts a function to Emitter.
type EmitFunc func(*cim.Instance) error

// Emit calls f(inst).
func (f EmitFunc) Emit(inst *cim.Instance) error { return f(inst) }

// InstanceProvider supplies the instances of dynamic classes.
type InstanceProvider interface {
	// EnumerateInstances emits every instance of class (exactly that class:
	// the object manager calls again for subclasses it also serves).
	EnumerateInstances(ctx context.Context, class *cim.Class, out Emitter) error
	// GetInstance returns the instance at path, whose keys are resolved and
	// typed; WBEM_E_NOT_FOUND when there is none.
	GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error)
}

// Hint is a data query as pushed down to a provider: what it selects, and the
// values its WHERE clause requires of properties. A provider may return a
// superset of the matching instances: the object manager filters and projects
// what comes back.
type Hint struct {
	Query      string                 // the WQL text
	Properties []string               // the SELECT list; nil for *
	Equal      map[string][]cim.Value // lower-case property name → the values it must take (one of)
}

// Values returns the values property name must take for an instance to match,
// and whether the query constrains it that way.
func (h *Hint) Values(name string) ([]cim.Value, bool) {
	if h == nil || h.Equal == nil {
		return nil, false
	}
	for k, v := range h.Equal {
		if cim.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// QueryProvider is implemented by providers that narrow an enumeration with a
// query, e.g. turning "WHERE ProcessId = 42" into one lookup.
type QueryProvider interface {
	ExecQuery(ctx context.Context, class *cim.Class, hint *Hint, out Emitter) error
}

// PutMode says what PutInstance may do with an instance, as WMI's flags
// WBEM_FLAG_CREATE_OR_UPDATE, WBEM_FLAG_CREATE_ONLY and WBEM_FLAG_UPDATE_ONLY
// do.
type PutMode uint8

// The put modes.
const (
	CreateOrUpdate PutMode = iota // create the instance, or replace the one with its keys
	CreateOnly                    // create it; WBEM_E_ALREADY_EXISTS when it exists
	UpdateOnly                    // replace it; WBEM_E_NOT_FOUND when it does not exist
)

var putModeNames = [...]string{"CreateOrUpdate", "CreateOnly", "UpdateOnly"}

// String returns the mode's name.
func (m PutMode) String() string {
	if int(m) < len(putModeNames) {
		return putModeNames[m]
	}
	return "PutMode(" + strconv.Itoa(int(m)) + ")"
}

// InstanceWriter is implemented by providers that create, modify and delete
// instances.
type InstanceWriter interface {
	// PutInstance creates or updates inst as mode allows and returns its
	// path. The keys of inst may be NULL: a provider that assigns keys (a
	// GUID, a sequence number) fills them in and returns the path it
	// assigned, which reaches the caller as the call result's ResultString;
	// a provider that does not gives WBEM_E_ILLEGAL_NULL.
	PutInstance(ctx context.Context, inst *cim.Instance, mode PutMode) (cim.ObjectPath, error)
	// DeleteInstance deletes the instance at path, whose keys are resolved
	// and typed; WBEM_E_NOT_FOUND when there is none.
	DeleteInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) error
}

// MethodCall is one method invocation.
type MethodCall struct {
	Class  *cim.Class
	Path   cim.ObjectPath // the class path for static methods, else the instance
	Method *cim.Method
	In     *cim.Instance // the in-parameters (an instance of InClass); never nil
	Out    *cim.Class    // the class of the out-parameters, ReturnValue included
}

// MethodProvider executes methods of the classes it serves.
type MethodProvider interface {
	// ExecMethod runs call.Method and returns an instance of call.Out with the
	// out-parameters and ReturnValue set. A method's own failure belongs in
	// ReturnValue; a returned error means the call could not be made.
	ExecMethod(ctx context.Context, call *MethodCall) (*cim.Instance, error)
}

// AssociationProvider is implemented by providers of association classes that
// can find the associations referring to one object without enumerating all.
type AssociationProvider interface {
	// References emits the instances of assocClass whose reference property
	// role (any reference property when role is "") refers to target.
	References(ctx context.Context, assocClass *cim.Class, target cim.ObjectPath, role string, out Emitter) error
}
