package cimom

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

// parsePath parses an operation's path and checks that it points into ns.
func parsePath(s, ns string) (cim.ObjectPath, error) {
	p, err := cim.ParsePath(s)
	if err != nil {
		return p, err
	}
	if p.Namespace != "" && !cim.EqualFold(cim.NormalNamespace(p.Namespace), ns) {
		return p, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: s,
			Description: "path " + s + " is in namespace " + p.Namespace + ", not in " + ns}
	}
	p.Namespace = ""
	p.Server = ""
	return p, nil
}

// resolvePath names and types the keys of an instance path against its
// class (see cim.ObjectPath.Resolve); the path then names that class.
func resolvePath(c *cim.Class, p cim.ObjectPath) (cim.ObjectPath, error) {
	rp, err := p.Resolve(c)
	rp.Class = c.Name
	return rp, err
}

func (om *ObjectManager) getObject(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	if op.Path == "" {
		return w.Write(&cim.Class{})
	}
	p, err := parsePath(op.Path, op.Namespace)
	if err != nil {
		return err
	}
	if p.IsClass() {
		var c *cim.Class
		err := om.view(ctx, func(tx repository.Tx) error {
			var err error
			c, err = tx.Class(op.Namespace, p.Class)
			return err
		})
		if err != nil {
			return err
		}
		return w.Write(c.Located(om.server, op.Namespace))
	}
	inst, err := om.getInstance(ctx, op.Namespace, p)
	if err != nil {
		return err
	}
	return w.Write(inst)
}

// getInstance finds the instance at p in ns: of p's class or of one of its
// subclasses, as WMI resolves a path of a base class whose keys the subclass
// inherits (CIM_Processor.DeviceID="CPU0" finds the Win32_Processor): static
// instances from the store first, then the providers of the dynamic classes,
// the named class's before its subclasses', asked by key.
func (om *ObjectManager) getInstance(ctx context.Context, ns string, p cim.ObjectPath) (*cim.Instance, error) {
	var candidates []*cim.Class
	var found *cim.Instance
	err := om.view(ctx, func(tx repository.Tx) error {
		c, err := om.class(tx, ns, p.Class)
		if err != nil {
			return err
		}
		rp, err := resolvePath(c, p)
		if err != nil {
			return err
		}
		desc, err := om.descendants(tx, ns, c.Name)
		if err != nil {
			return err
		}
		candidates = append([]*cim.Class{c}, desc...)
		for _, cc := range candidates {
			if cc.IsDynamic() || cc.IsAbstract() && !isNamespaceClass(cc) {
				continue
			}
			rp.Class = cc.Name
			var inst *cim.Instance
			if isNamespaceClass(cc) {
				inst, err = namespaceInstance(tx, ns, cc, rp)
			} else {
				inst, err = tx.Instance(ns, cc, rp.KeyString())
			}
			if err == nil {
				found = inst
				return nil
			}
			if !errors.Is(err, cim.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found != nil {
		found.SetLocation(om.server, ns)
		return found, nil
	}
	var failure error // a subclass's provider that failed, when no other has it
	var missing error // what the named class's own provider said
	for i, cc := range candidates {
		if !cc.IsDynamic() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		inst, err := om.providerInstance(ctx, ns, cc, p)
		switch {
		case err == nil && inst != nil:
			inst.SetLocation(om.server, ns)
			return inst, nil
		case err == nil, errors.Is(err, cim.ErrNotFound):
			if i == 0 && err != nil {
				missing = err
			}
		case i == 0:
			return nil, err // the named class's own provider decides
		case !notHere(err) && failure == nil:
			failure = err
		}
	}
	switch {
	case failure != nil:
		return nil, failure
	case missing != nil:
		return nil, missing
	}
	return nil, &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: p.String(), Description: "no instance " + p.RelPath()}
}

// providerInstance asks the provider of the dynamic class c for the instance
// at p, named as an instance of c.
func (om *ObjectManager) providerInstance(ctx context.Context, ns string, c *cim.Class, p cim.ObjectPath) (*cim.Instance, error) {
	rp, err := resolvePath(c, p)
	if err != nil {
		return nil, err
	}
	prov, err := om.instanceProvider(ctx, ns, c)
	if err != nil {
		return nil, err
	}
	var inst *cim.Instance
	err = om.guard(c.ProviderName(), func() error {
		var err error
		inst, err = prov.GetInstance(ctx, c, rp)
		return err
	})
	return inst, err
}

// notHere reports whether a subclass's provider, asked for an instance by a
// base class's path, said only that it does not have it (or cannot tell):
// the search goes on without it.
func notHere(err error) bool {
	switch cim.StatusOf(err) {
	case cim.WBEM_E_NOT_FOUND, cim.WBEM_E_INVALID_OBJECT_PATH, cim.WBEM_E_INVALID_PARAMETER,
		cim.WBEM_E_PROVIDER_NOT_FOUND, cim.WBEM_E_PROVIDER_NOT_CAPABLE, cim.WBEM_E_NOT_SUPPORTED,
		cim.WBEM_E_INVALID_CLASS, cim.WBEM_E_TYPE_MISMATCH:
		return true
	}
	return false
}

// instanceProvider returns the provider of a dynamic class.
func (om *ObjectManager) instanceProvider(ctx context.Context, ns string, c *cim.Class) (provider.InstanceProvider, error) {
	name := c.ProviderName()
	p, err := om.lookup(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, &cim.Error{Status: cim.WBEM_E_PROVIDER_NOT_FOUND, Parameter: c.Name, Provider: name,
			Description: fmt.Sprintf("provider %q of class %s is not registered", name, c.Name)}
	}
	ip, ok := p.(provider.InstanceProvider)
	if !ok {
		return nil, &cim.Error{Status: cim.WBEM_E_PROVIDER_NOT_CAPABLE, Parameter: c.Name, Provider: name,
			Description: fmt.Sprintf("provider %q does not supply instances", name)}
	}
	return ip, nil
}

// guard runs a provider call: a panic becomes WBEM_E_PROVIDER_FAILURE for
// this call only, and errors are tagged with the provider's name.
func (om *ObjectManager) guard(name string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Provider: name,
				Description: fmt.Sprintf("provider %q panicked: %v", name, r), Err: fmt.Errorf("%v\n%s", r, debug.Stack())}
		}
	}()
	err = fn()
	if err == nil || errors.Is(err, errConsumerGone) {
		return err
	}
	var we *cim.Error
	if errors.As(err, &we) {
		if we.Provider == "" {
			c := *we
			c.Provider = name
			return &c
		}
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Provider: name, Description: fmt.Sprintf("provider %q: %v", name, err), Err: err}
}

// errConsumerGone marks an emit that failed because the consumer left.
var errConsumerGone = errors.New("consumer gone")

// emitter adapts a ResultWriter to provider.Emitter: it places each instance
// in the namespace, applies the query's filter and projection, and remembers
// when the consumer has gone.
type emitter struct {
	w      wbem.ResultWriter
	server string
	ns     string
	filter func(*cim.Instance) (*cim.Instance, bool)
	err    error        // set once a write failed: the provider must stop
	cause  error        // what the write returned
	batch  []cim.Object // EmitBatch's scratch, empty between calls
}

func (e *emitter) Emit(inst *cim.Instance) error {
	if e.err != nil {
		return e.err
	}
	if inst == nil {
		return nil
	}
	inst.SetLocation(e.server, e.ns)
	if e.filter != nil {
		out, ok := e.filter(inst)
		if !ok {
			return nil
		}
		inst = out
	}
	if err := e.w.Write(inst); err != nil {
		e.cause = err
		e.err = fmt.Errorf("%w: %w", errConsumerGone, err)
		return e.err
	}
	return nil
}

// EmitBatch implements provider.BatchEmitter: each instance is placed and
// filtered as Emit does, and what passes goes to the consumer in one
// wbem.WriteAll (one queue hand-over when w is a wbem.BatchWriter).
func (e *emitter) EmitBatch(insts []*cim.Instance) error {
	if e.err != nil {
		return e.err
	}
	buf := e.batch[:0]
	for _, inst := range insts {
		if inst == nil {
			continue
		}
		inst.SetLocation(e.server, e.ns)
		if e.filter != nil {
			out, ok := e.filter(inst)
			if !ok {
				continue
			}
			inst = out
		}
		buf = append(buf, inst)
	}
	err := wbem.WriteAll(e.w, buf)
	clear(buf) // the consumer's, now: the scratch does not keep them live
	e.batch = buf[:0]
	if err != nil {
		e.cause = err
		e.err = fmt.Errorf("%w: %w", errConsumerGone, err)
		return e.err
	}
	return nil
}

// Progress implements provider.Progresser.
func (e *emitter) Progress(done, total int) { e.w.Progress(done, total) }

// enumerateClass emits the instances of exactly class c (static ones from
// the store, dynamic ones from its provider; hint pushes a query down).
func (om *ObjectManager) enumerateClass(ctx context.Context, ns string, c *cim.Class, hint *provider.Hint, e *emitter) error {
	if c.IsDynamic() {
		prov, err := om.instanceProvider(ctx, ns, c)
		if err != nil {
			return err
		}
		err = om.guard(c.ProviderName(), func() error {
			if qp, ok := prov.(provider.QueryProvider); ok && hint != nil {
				return qp.ExecQuery(ctx, c, hint, e)
			}
			return prov.EnumerateInstances(ctx, c, e)
		})
		if e.err != nil {
			return e.err
		}
		return err
	}
	if isNamespaceClass(c) {
		return om.enumerateNamespaces(ctx, ns, c, e)
	}
	if c.IsAbstract() {
		return nil
	}
	err := om.store.Instances(ctx, ns, c, e.Emit)
	if e.err != nil {
		return e.err
	}
	return err
}

// enumerate emits the instances of class and, deep, of its subclasses.
func (om *ObjectManager) enumerate(ctx context.Context, ns, className string, deep bool, hint *provider.Hint, e *emitter) error {
	var classes []*cim.Class
	err := om.view(ctx, func(tx repository.Tx) error {
		c, err := om.class(tx, ns, className)
		if err != nil {
			return err
		}
		classes = []*cim.Class{c}
		if deep {
			desc, err := om.descendants(tx, ns, c.Name)
			if err != nil {
				return err
			}
			classes = append(classes, desc...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range classes {
		if err := om.enumerateClass(ctx, ns, c, hint, e); err != nil {
			return err
		}
	}
	return nil
}

func (om *ObjectManager) createInstanceEnum(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	if op.Path == "" {
		return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "CreateInstanceEnum needs a class name")
	}
	deep := op.Flags&wbem.WBEM_FLAG_SHALLOW == 0 && op.Flags&wbem.WBEM_FLAG_DIRECT_READ == 0
	return om.enumerate(ctx, op.Namespace, op.Path, deep, nil, &emitter{w: w, server: om.server, ns: op.Namespace})
}

// putMode is the provider's name for the change flags.
func putMode(flags wbem.Flag) provider.PutMode {
	switch {
	case flags&wbem.WBEM_FLAG_CREATE_ONLY != 0:
		return provider.CreateOnly
	case flags&wbem.WBEM_FLAG_UPDATE_ONLY != 0:
		return provider.UpdateOnly
	}
	return provider.CreateOrUpdate
}

func (om *ObjectManager) putInstance(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	in, ok := op.Object.(*cim.Instance)
	if !ok || in == nil {
		return cim.Errorf(cim.WBEM_E_INVALID_OBJECT, "PutInstance needs an instance, not a class")
	}
	mode := putMode(op.Flags)
	var class *cim.Class
	err := om.view(ctx, func(tx repository.Tx) error {
		var err error
		class, err = om.class(tx, op.Namespace, in.ClassName())
		return err
	})
	if err != nil {
		return err
	}
	if class.IsDynamic() {
		return om.putDynamic(ctx, op.Namespace, class, in, mode, w)
	}
	var path cim.ObjectPath
	put := func(tx repository.Tx) error {
		var err error
		_, _, path, err = om.putInstanceTx(tx, op.Namespace, in, mode)
		return err
	}
	if isNamespaceClass(class) {
		err = om.update(ctx, true, put)
	} else {
		// Concurrent PutInstance calls share one commit where the store can.
		err = om.batch(ctx, put)
	}
	if err != nil {
		return err
	}
	w.SetResultString(path.RelPath())
	return nil
}

// putDynamic hands an instance of a dynamic class to its provider. Its keys
// may be NULL: a provider may assign them (a GUID, say), and the path it
// returns is the call's result string, as WMI's GetResultString gives it.
func (om *ObjectManager) putDynamic(ctx context.Context, ns string, class *cim.Class, in *cim.Instance, mode provider.PutMode, w wbem.ResultWriter) error {
	inst, err := rebind(nil, in, class)
	if err != nil {
		return err
	}
	if class.IsAbstract() {
		return &cim.Error{Status: cim.WBEM_E_INVALID_OPERATION, Parameter: class.Name, Description: "class " + class.Name + " is abstract and cannot have instances"}
	}
	if len(class.Keys()) == 0 && !class.IsSingleton() {
		return &cim.Error{Status: cim.WBEM_E_NO_KEY, Parameter: class.Name, Description: "class " + class.Name + " has no key property"}
	}
	for n := range class.Properties {
		p := &class.Properties[n]
		if !p.IsKey() && inst.At(n).IsNull() && (p.Qualifiers.Has("Indexed") || p.Qualifiers.Has("Not_Null")) {
			return &cim.Error{Status: cim.WBEM_E_ILLEGAL_NULL, Parameter: p.Name,
				Description: "property " + class.Name + "." + p.Name + " must not be NULL"}
		}
	}
	name := class.ProviderName()
	prov, err := om.lookup(ctx, ns, name)
	if err != nil {
		return err
	}
	pw, ok := prov.(provider.InstanceWriter)
	if !ok {
		return &cim.Error{Status: cim.WBEM_E_PROVIDER_NOT_CAPABLE, Parameter: class.Name, Provider: name,
			Description: "the provider of class " + class.Name + " does not create or modify instances"}
	}
	inst.SetLocation(om.server, ns)
	var path cim.ObjectPath
	err = om.guard(name, func() error {
		var err error
		path, err = pw.PutInstance(ctx, inst, mode)
		return err
	})
	if err != nil {
		return err
	}
	if path.Class == "" && len(path.Keys) == 0 && !path.Singleton {
		// The provider named no path: the instance's own, when it has one.
		if inst.CheckKeys() == nil {
			path = inst.ObjectPath()
		}
	}
	if path.Class != "" {
		path.Server, path.Namespace = "", ""
		w.SetResultString(path.RelPath())
	}
	return nil
}

// putInstanceTx checks and stores a static instance within tx. For an
// instance of a dynamic class it only checks, leaving the store to the
// provider. The instance it returns is the transaction's (an event may
// carry it): callers must not change it. path is the instance's, without
// server and namespace.
func (om *ObjectManager) putInstanceTx(tx repository.Tx, ns string, in *cim.Instance, mode provider.PutMode) (class *cim.Class, inst *cim.Instance, path cim.ObjectPath, err error) {
	c, err := om.class(tx, ns, in.ClassName())
	if err != nil {
		return nil, nil, cim.ObjectPath{}, err
	}
	if inst, err = rebind(tx, in, c); err != nil {
		return nil, nil, cim.ObjectPath{}, err
	}
	if c.IsAbstract() {
		return nil, nil, cim.ObjectPath{}, &cim.Error{Status: cim.WBEM_E_INVALID_OPERATION, Parameter: c.Name, Description: "class " + c.Name + " is abstract and cannot have instances"}
	}
	if err := inst.CheckKeys(); err != nil {
		return nil, nil, cim.ObjectPath{}, err
	}
	if c.IsDynamic() {
		return c, inst, cim.ObjectPath{}, nil
	}
	p := inst.ObjectPath()
	p.Server, p.Namespace = "", ""
	if isNamespaceClass(c) {
		return c, inst, p, putNamespaceInstance(tx, ns, inst, mode, om.extraSystem)
	}
	key := p.KeyString() // repository.InstanceKey(inst)
	_, err = tx.Instance(ns, c, key)
	exists := err == nil
	switch {
	case err != nil && !errors.Is(err, cim.ErrNotFound):
		return nil, nil, cim.ObjectPath{}, err
	case exists && mode == provider.CreateOnly:
		rel := p.RelPath()
		return nil, nil, p, &cim.Error{Status: cim.WBEM_E_ALREADY_EXISTS, Parameter: rel, Description: "instance " + rel + " already exists"}
	case !exists && mode == provider.UpdateOnly:
		rel := p.RelPath()
		return nil, nil, p, &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: rel, Description: "instance " + rel + " does not exist"}
	}
	if kp, ok := tx.(keyedPutter); ok {
		// inst is rebind's copy: the transaction may keep it.
		return c, inst, p, kp.putInstanceKeyed(ns, inst, key)
	}
	return c, inst, p, tx.PutInstance(ns, inst)
}

// rebind lays an instance out by the stored definition of its class, so that
// an instance built from an older or foreign copy of the class still fits.
// In a write transaction the map from one layout to the other is worked out
// once per pair of classes.
func rebind(tx repository.Tx, in *cim.Instance, c *cim.Class) (*cim.Instance, error) {
	if in.Class() == c {
		return in.Clone(), nil
	}
	src := in.Class()
	var where []int // where[i]: the position in c of src's property i
	wtx, _ := tx.(*writeTx)
	if wtx != nil {
		where = wtx.layouts[[2]*cim.Class{src, c}]
	}
	if where == nil {
		where = make([]int, len(src.Properties))
		for i := range src.Properties {
			name := src.Properties[i].Name
			if where[i] = c.PropertyIndex(name); where[i] < 0 {
				return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PROPERTY, Parameter: name,
					Description: "class " + c.Name + " has no property " + name}
			}
		}
		if wtx != nil {
			if wtx.layouts == nil {
				wtx.layouts = map[[2]*cim.Class][]int{}
			}
			wtx.layouts[[2]*cim.Class{src, c}] = where
		}
	}
	out := c.NewInstance()
	for i, j := range where {
		v := in.At(i)
		if v.Type() == c.Properties[j].Type || v.IsNull() {
			out.SetAt(j, v)
			continue
		}
		if err := out.Set(c.Properties[j].Name, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// deleteInstance deletes the instance at a path, which may name a base class
// of the instance's own: a static instance from the store, a dynamic one
// through the provider of its class.
func (om *ObjectManager) deleteInstance(ctx context.Context, op *wbem.Op) error {
	p, err := parsePath(op.Path, op.Namespace)
	if err != nil {
		return err
	}
	if p.IsClass() {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: op.Path, Description: op.Path + " is a class path: use DeleteClass"}
	}
	var dynamic *cim.Class
	var rpath cim.ObjectPath
	searchProviders := false // not in the store, but a dynamic subclass may have it
	err = om.update(ctx, cim.EqualFold(p.Class, childrenClass), func(tx repository.Tx) error {
		c, err := om.class(tx, op.Namespace, p.Class)
		if err != nil {
			return err
		}
		rp, err := resolvePath(c, p)
		if err != nil {
			return err
		}
		if c.IsDynamic() {
			dynamic, rpath = c, rp
			return nil
		}
		desc, err := om.descendants(tx, op.Namespace, c.Name)
		if err != nil {
			return err
		}
		for _, cc := range append([]*cim.Class{c}, desc...) {
			rp.Class = cc.Name
			switch {
			case cc.IsDynamic():
				searchProviders = true
				continue
			case isNamespaceClass(cc):
				err = deleteNamespaceInstance(tx, op.Namespace, cc, rp)
			case cc.IsAbstract():
				continue
			default:
				err = tx.DeleteInstance(op.Namespace, cc.Name, rp.KeyString())
			}
			if !errors.Is(err, cim.ErrNotFound) {
				return err
			}
		}
		if searchProviders {
			return nil
		}
		return &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: op.Path, Description: "no instance " + p.RelPath()}
	})
	if err != nil {
		return err
	}
	if dynamic == nil {
		if !searchProviders {
			return nil
		}
		inst, err := om.getInstance(ctx, op.Namespace, p)
		if err != nil {
			return err
		}
		dynamic = inst.Class()
		rpath = inst.ObjectPath()
		rpath.Server, rpath.Namespace = "", ""
	}
	prov, err := om.lookup(ctx, op.Namespace, dynamic.ProviderName())
	if err != nil {
		return err
	}
	pw, ok := prov.(provider.InstanceWriter)
	if !ok {
		return &cim.Error{Status: cim.WBEM_E_PROVIDER_NOT_CAPABLE, Parameter: dynamic.Name, Provider: dynamic.ProviderName(),
			Description: "the provider of class " + dynamic.Name + " does not delete instances"}
	}
	return om.guard(dynamic.ProviderName(), func() error { return pw.DeleteInstance(ctx, dynamic, rpath) })
}
