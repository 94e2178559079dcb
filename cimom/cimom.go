// Package cimom is gowbem's in-process CIM object manager: namespaces, class
// resolution, dispatch of every operation to the repository and to providers
// over the class hierarchy, and the query engine. It implements wbem.Backend.
package cimom

import (
	"context"
	"os"
	"reflect"
	"strings"
	"sync"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

// ObjectManager is an in-process CIM object manager over a repository store.
// It is a value: a program or a test may run as many as it likes. It is safe
// for concurrent use.
type ObjectManager struct {
	store  repository.Store
	server string

	mu          sync.RWMutex
	providers   map[string]any // lower-case name → provider
	resolver    ProviderResolver
	extraSystem []*cim.Class // WithSystemClasses

	cache  classCache
	events *eventEngine
}

// Option configures an ObjectManager.
type Option func(*ObjectManager)

// WithServer sets the server name reported in __SERVER and __PATH (the host
// name by default).
func WithServer(name string) Option { return func(om *ObjectManager) { om.server = name } }

// WithProvider registers an instance provider under name (see
// RegisterProvider).
func WithProvider(name string, p provider.InstanceProvider) Option {
	return func(om *ObjectManager) { om.register(name, p) }
}

// WithMethodProvider registers a provider of methods only under name (see
// RegisterMethodProvider).
func WithMethodProvider(name string, p provider.MethodProvider) Option {
	return func(om *ObjectManager) { om.register(name, p) }
}

// New returns an object manager over store. It makes sure the namespaces root
// and root\cimv2 exist with the system classes, and every namespace has the
// classes of WithSystemClasses, writing only when one is missing.
func New(ctx context.Context, store repository.Store, opts ...Option) (*ObjectManager, error) {
	om := &ObjectManager{store: store, providers: map[string]any{}}
	om.events = newEventEngine(om)
	om.server, _ = os.Hostname()
	om.providers[strings.ToLower(securityProvider)] = securityMethods{om}
	for _, o := range opts {
		o(om)
	}
	ensure := func(tx repository.Tx) error {
		for _, ns := range []string{"root", cim.DefaultNamespace} {
			if !tx.NamespaceExists(ns) {
				if err := tx.CreateNamespace(ns); err != nil { // root has no parent
					return err
				}
			}
			if err := ensureSystemClasses(tx, ns); err != nil {
				return err
			}
		}
		if err := ensureSecurityClasses(tx, "root"); err != nil { // namespaces made before namespace security
			return err
		}
		return ensureExtraClasses(tx, "root", om.extraSystem)
	}
	// Over a store that has them all (every start but the first), New
	// writes nothing, so it works over a store opened read-only.
	if om.changes(ctx, ensure) {
		if err := store.Update(ctx, ensure); err != nil {
			return nil, err
		}
	}
	return om, nil
}

// NewMemory returns an object manager over a new in-memory store, for tests
// and programs that keep nothing on disk.
func NewMemory(opts ...Option) *ObjectManager {
	om, err := New(context.Background(), repository.NewMemory(), opts...)
	if err != nil {
		panic(err) // the memory store cannot fail here
	}
	return om
}

// Store returns the repository store.
func (om *ObjectManager) Store() repository.Store { return om.store }

// Server returns the server name the object manager reports.
func (om *ObjectManager) Server() string { return om.server }

// RegisterProvider registers the instance provider p under name, the name
// classes give in their Provider qualifier (compared without regard to case).
// p may implement the optional interfaces of package provider too
// (QueryProvider, InstanceWriter, MethodProvider, AssociationProvider); the
// object manager finds them by type assertion. Registering a name again
// replaces its provider. It panics if p is nil.
func (om *ObjectManager) RegisterProvider(name string, p provider.InstanceProvider) {
	om.register(name, p)
}

// RegisterMethodProvider registers under name a provider that serves only
// methods: of static classes, or of classes whose instances come from the
// repository. A provider that also supplies instances is registered with
// RegisterProvider, which finds its methods too. It panics if p is nil.
func (om *ObjectManager) RegisterMethodProvider(name string, p provider.MethodProvider) {
	om.register(name, p)
}

func (om *ObjectManager) register(name string, p any) {
	if p == nil || reflect.ValueOf(p).Kind() == reflect.Pointer && reflect.ValueOf(p).IsNil() {
		panic("cimom: provider " + name + " is nil")
	}
	om.mu.Lock()
	defer om.mu.Unlock()
	om.providers[strings.ToLower(name)] = p
}

func (om *ObjectManager) provider(name string) any {
	om.mu.RLock()
	defer om.mu.RUnlock()
	return om.providers[strings.ToLower(name)]
}

// Services returns the services of namespace on this object manager; ""
// means cim.DefaultNamespace, as in wbem.Connect.
func (om *ObjectManager) Services(namespace string, opts ...wbem.Option) *wbem.Services {
	return wbem.NewServices(om, orDefault(cim.NormalNamespace(namespace)), opts...)
}

// orDefault returns ns, or the default namespace for "" (a caller that named
// none).
func orDefault(ns string) string {
	if ns == "" {
		return cim.DefaultNamespace
	}
	return ns
}

// Do implements wbem.Backend.
func (om *ObjectManager) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	w = copyClasses(op.Kind, w)
	op.Namespace = orDefault(cim.NormalNamespace(op.Namespace))
	w, err := om.authorize(ctx, op, w) // namespace security: see access.go
	if err != nil {
		return err
	}
	if op.Kind != wbem.OpOpenNamespace {
		if err := om.checkNamespace(ctx, op.Namespace); err != nil {
			return err
		}
	}
	switch op.Kind {
	case wbem.OpOpenNamespace:
		return om.openNamespace(ctx, op, w)
	case wbem.OpGetObject:
		return om.getObject(ctx, op, w)
	case wbem.OpPutClass:
		return om.putClass(ctx, op)
	case wbem.OpDeleteClass:
		return om.deleteClass(ctx, op)
	case wbem.OpCreateClassEnum:
		return om.createClassEnum(ctx, op, w)
	case wbem.OpPutInstance:
		return om.putInstance(ctx, op, w)
	case wbem.OpDeleteInstance:
		return om.deleteInstance(ctx, op)
	case wbem.OpCreateInstanceEnum:
		return om.createInstanceEnum(ctx, op, w)
	case wbem.OpExecQuery:
		return om.execQuery(ctx, op, w)
	case wbem.OpExecNotificationQuery:
		return om.execNotificationQuery(ctx, op, w)
	case wbem.OpExecMethod:
		return om.execMethod(ctx, op, w)
	case wbem.OpGetQualifier:
		return om.getQualifier(ctx, op, w)
	case wbem.OpPutQualifier:
		return om.putQualifier(ctx, op)
	case wbem.OpDeleteQualifier:
		return om.deleteQualifier(ctx, op)
	case wbem.OpEnumQualifiers:
		return om.enumQualifiers(ctx, op, w)
	}
	return cim.Errorf(cim.WBEM_E_NOT_SUPPORTED, "operation %s is not supported", op.Kind)
}

func (om *ObjectManager) checkNamespace(ctx context.Context, ns string) error {
	return om.view(ctx, func(tx repository.Tx) error {
		if !tx.NamespaceExists(ns) {
			return &cim.Error{Status: cim.WBEM_E_INVALID_NAMESPACE, Parameter: ns, Description: "namespace " + ns + " does not exist"}
		}
		return nil
	})
}

func (om *ObjectManager) openNamespace(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	rel := strings.ReplaceAll(op.Path, "/", `\`)
	if rel == "" || strings.HasPrefix(rel, `\`) || strings.HasPrefix(rel, "//") || strings.Contains(rel, ":") {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: op.Path,
			Description: "OpenNamespace needs a namespace relative to " + op.Namespace + ", not " + strings.TrimSpace(op.Path)}
	}
	full := rel
	if op.Namespace != "" {
		full = op.Namespace + `\` + rel
	}
	full = cim.NormalNamespace(full)
	if err := om.checkNamespace(ctx, full); err != nil {
		return err
	}
	w.SetResultString(full)
	return nil
}
