package cimom

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

// Namespace security, WMI's way (see identity): each namespace may hold an
// access list, kept as the SECURITY_DESCRIPTOR of its __thisNAMESPACE=@
// instance; a namespace without one inherits its parent's, and the root's
// default is identity.DefaultACL. __SystemSecurity's static methods read and
// write it: GetSD and SetSD (the list as text, identity.ACL's format, in a
// uint8 array) and GetCallerAccessRights.
//
// authorize is the one place that checks a caller's rights: every
// operation passes it before dispatch. An operation without a caller in its
// ctx is the program itself and is not checked.
const (
	// SecurityClass is the class whose static methods manage a namespace's
	// access list.
	SecurityClass = "__SystemSecurity"
	// NamespaceClass is the singleton that holds a namespace's own access
	// list.
	NamespaceClass = "__thisNAMESPACE"
	// securityProvider serves SecurityClass's methods.
	securityProvider = "gowbem-SystemSecurity"
	sdProperty       = "SECURITY_DESCRIPTOR"
)

// securityClassDecls are the system classes of namespace security.
func securityClassDecls() []*cim.Class {
	static := cim.Qualifiers{{Name: "Static", Value: cim.Bool(true)}}
	in := cim.Qualifiers{{Name: "In", Value: cim.Bool(true)}}
	out := cim.Qualifiers{{Name: "Out", Value: cim.Bool(true)}}
	return []*cim.Class{
		{Name: NamespaceClass, Superclass: "__SystemClass", Qualifiers: cim.Qualifiers{{Name: "Singleton", Value: cim.Bool(true)}},
			Properties: []cim.Property{{Name: sdProperty, Type: cim.TypeUint8.ArrayOf()}}},
		{Name: SecurityClass, Superclass: "__SystemClass", Qualifiers: cim.Qualifiers{{Name: "Provider", Value: cim.String(securityProvider)}},
			Methods: []cim.Method{
				{Name: "GetSD", ReturnType: cim.TypeUint32, Qualifiers: static, Params: []cim.Parameter{
					{Name: "SD", Type: cim.TypeUint8.ArrayOf(), Qualifiers: out},
					{Name: "InheritedFrom", Type: cim.TypeString, Qualifiers: out}}},
				{Name: "SetSD", ReturnType: cim.TypeUint32, Qualifiers: static, Params: []cim.Parameter{
					{Name: "SD", Type: cim.TypeUint8.ArrayOf(), Qualifiers: in}}},
				{Name: "GetCallerAccessRights", ReturnType: cim.TypeUint32, Qualifiers: static, Params: []cim.Parameter{
					{Name: "Rights", Type: cim.TypeSint32, Qualifiers: out}}},
			}},
	}
}

// ensureSecurityClasses adds the classes of namespace security to ns and
// its descendants where they are missing (a repository written before they
// existed).
func ensureSecurityClasses(tx repository.Tx, ns string) error {
	if _, err := tx.Class(ns, SecurityClass); errors.Is(err, cim.ErrNotFound) {
		if err := ensureSystemClasses(tx, ns); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	children, err := tx.Namespaces(ns)
	if err != nil {
		return err
	}
	for _, child := range children {
		if err := ensureSecurityClasses(tx, child); err != nil {
			return err
		}
	}
	return nil
}

// authorize checks that the caller in ctx holds the rights op needs in its
// namespace, and returns the writer the operation writes to: one that
// leaves out the namespace's access list when the caller may not read it.
func (om *ObjectManager) authorize(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) (wbem.ResultWriter, error) {
	if op.Kind == wbem.OpPutInstance || op.Kind == wbem.OpDeleteInstance {
		if isNamespaceSD(op) {
			return w, &cim.Error{Status: cim.WBEM_E_ACCESS_DENIED, Operation: op.Kind.String(), Parameter: NamespaceClass,
				Description: NamespaceClass + " is written through " + SecurityClass + ".SetSD only"}
		}
	}
	c, ok := identity.FromContext(ctx)
	if !ok || c.Admin {
		return w, nil
	}
	ns, need := om.rightsNeeded(ctx, op)
	if c.Remote {
		need |= identity.RemoteAccess
	}
	acl, _, err := om.effectiveACL(ctx, ns)
	if err != nil {
		return w, err
	}
	have := acl.Rights(c)
	if have&identity.FullWrite != 0 {
		have |= identity.PartialWrite // writing classes and instances includes writing instances
	}
	if missing := need &^ have; missing != 0 {
		return w, &cim.Error{Status: cim.WBEM_E_ACCESS_DENIED, Operation: op.Kind.String(), Parameter: ns,
			Description: fmt.Sprintf("user %s lacks the right %s on namespace %s", c.Name, missing, ns)}
	}
	if have&identity.ReadSecurity == 0 && (op.Kind == wbem.OpExecQuery || op.Kind == wbem.OpCreateInstanceEnum) {
		return hideSD{w}, nil
	}
	return w, nil
}

// isNamespaceSD reports whether a put or delete targets __thisNAMESPACE.
func isNamespaceSD(op *wbem.Op) bool {
	name := ""
	if inst, ok := op.Object.(*cim.Instance); ok && inst != nil {
		name = inst.ClassName()
	} else if p, err := cim.ParsePath(op.Path); err == nil {
		name = p.Class
	}
	return strings.EqualFold(name, NamespaceClass)
}

// rightsNeeded returns the namespace whose rights op needs and which. Input
// it cannot read needs Enable only: the operation then fails with its own
// error.
func (om *ObjectManager) rightsNeeded(ctx context.Context, op *wbem.Op) (string, identity.Rights) {
	ns := op.Namespace
	need := identity.Enable
	className := func() string {
		p, err := cim.ParsePath(op.Path)
		if err != nil {
			return ""
		}
		return p.Class
	}
	switch op.Kind {
	case wbem.OpOpenNamespace:
		rel := cim.NormalNamespace(op.Path)
		if ns != "" && rel != "" {
			ns = ns + `\` + rel
		} else if rel != "" {
			ns = rel
		}
	case wbem.OpGetObject, wbem.OpCreateInstanceEnum:
		if strings.EqualFold(className(), NamespaceClass) {
			need |= identity.ReadSecurity
		}
	case wbem.OpPutClass, wbem.OpDeleteClass, wbem.OpPutQualifier, wbem.OpDeleteQualifier:
		need |= identity.FullWrite // schema: classes and qualifier declarations
	case wbem.OpPutInstance, wbem.OpDeleteInstance:
		name := className()
		if inst, ok := op.Object.(*cim.Instance); ok && inst != nil {
			name = inst.ClassName()
		}
		need |= om.writeRight(ctx, ns, name)
	case wbem.OpExecMethod:
		if strings.EqualFold(className(), SecurityClass) {
			switch strings.ToLower(op.Method) {
			case "getsd":
				need |= identity.ReadSecurity
			case "setsd":
				need |= identity.EditSecurity
			}
			return ns, need // GetCallerAccessRights: Enable
		}
		need |= identity.MethodExecute
	}
	return ns, need
}

// writeRight is the right that writing an instance of class name needs:
// FullWrite for a namespace, ProviderWrite for a provider's class,
// PartialWrite (or FullWrite) for a static one.
func (om *ObjectManager) writeRight(ctx context.Context, ns, name string) identity.Rights {
	var c *cim.Class
	om.view(ctx, func(tx repository.Tx) error {
		c, _ = om.class(tx, ns, name)
		return nil
	})
	switch {
	case c == nil:
		return identity.PartialWrite
	case c.IsA("__NAMESPACE"):
		return identity.FullWrite
	case c.IsDynamic():
		return identity.ProviderWrite
	}
	return identity.PartialWrite
}

// hideSD leaves __thisNAMESPACE out of what a caller without ReadSecurity
// enumerates.
type hideSD struct{ wbem.ResultWriter }

func (h hideSD) Write(obj cim.Object) error {
	if inst, ok := obj.(*cim.Instance); ok && strings.EqualFold(inst.ClassName(), NamespaceClass) {
		return nil
	}
	return h.ResultWriter.Write(obj)
}

// effectiveACL returns the access list that governs ns: its own, or the
// nearest ancestor's, or identity.DefaultACL; from names the namespace it
// was set on ("" for the default).
func (om *ObjectManager) effectiveACL(ctx context.Context, ns string) (acl identity.ACL, from string, err error) {
	err = om.store.View(ctx, func(tx repository.Tx) error {
		for cur := cim.NormalNamespace(ns); cur != ""; cur = parentNamespace(cur) {
			own, ok, err := ownACL(tx, cur)
			if err != nil {
				return err
			}
			if ok {
				acl, from = own, cur
				return nil
			}
		}
		acl = identity.DefaultACL()
		return nil
	})
	return acl, from, err
}

func parentNamespace(ns string) string {
	if i := strings.LastIndexByte(ns, '\\'); i >= 0 {
		return ns[:i]
	}
	return ""
}

// ownACL reads the access list set on ns itself.
func ownACL(tx repository.Tx, ns string) (identity.ACL, bool, error) {
	if !tx.NamespaceExists(ns) {
		return nil, false, nil
	}
	c, err := tx.Class(ns, NamespaceClass)
	if errors.Is(err, cim.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	inst, err := tx.Instance(ns, c, repository.InstanceKey(c.NewInstance()))
	if errors.Is(err, cim.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	acl, err := identity.ParseACL(sdBytes(inst.Value(sdProperty)))
	if err != nil {
		return nil, false, &cim.Error{Status: cim.WBEM_E_CRITICAL_ERROR, Parameter: ns, Description: "the access list of namespace " + ns + " is damaged: " + err.Error(), Err: err}
	}
	return acl, true, nil
}

func sdBytes(v cim.Value) []byte {
	a := v.Array()
	b := make([]byte, len(a))
	for i, x := range a {
		b[i] = byte(x.Uint())
	}
	return b
}

func sdValue(b []byte) cim.Value {
	vals := make([]cim.Value, len(b))
	for i, x := range b {
		vals[i] = cim.Uint8(x)
	}
	return cim.Array(cim.TypeUint8, vals...)
}

// ACL returns the access list that governs namespace ns and the namespace it
// is set on ("" for the default, identity.DefaultACL).
func (om *ObjectManager) ACL(ctx context.Context, ns string) (identity.ACL, string, error) {
	return om.effectiveACL(ctx, ns)
}

// SetACL sets the access list of namespace ns; nil removes it, so that ns
// inherits its parent's again.
func (om *ObjectManager) SetACL(ctx context.Context, ns string, acl identity.ACL) error {
	ns = cim.NormalNamespace(ns)
	text, err := acl.MarshalText()
	if err != nil {
		return err
	}
	if _, err := identity.ParseACL(text); err != nil { // the limits
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "SD", Description: err.Error()}
	}
	return om.update(ctx, true, func(tx repository.Tx) error {
		if !tx.NamespaceExists(ns) {
			return &cim.Error{Status: cim.WBEM_E_INVALID_NAMESPACE, Parameter: ns, Description: "namespace " + ns + " does not exist"}
		}
		if err := ensureSystemClasses(tx, ns); err != nil {
			return err
		}
		c, err := tx.Class(ns, NamespaceClass)
		if err != nil {
			return err
		}
		inst := c.NewInstance()
		if acl == nil {
			err := tx.DeleteInstance(ns, c.Name, repository.InstanceKey(inst))
			if errors.Is(err, cim.ErrNotFound) {
				return nil
			}
			return err
		}
		if err := inst.Set(sdProperty, sdValue(text)); err != nil {
			return err
		}
		return tx.PutInstance(ns, inst)
	})
}

// securityMethods serves __SystemSecurity's methods.
type securityMethods struct{ om *ObjectManager }

func (s securityMethods) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	ns := call.Class.Namespace
	out := call.Out.NewInstance()
	switch strings.ToLower(call.Method.Name) {
	case "getsd":
		acl, from, err := s.om.effectiveACL(ctx, ns)
		if err != nil {
			return nil, err
		}
		text, _ := acl.MarshalText()
		out.Set("SD", sdValue(text))
		if from != "" {
			out.Set("InheritedFrom", cim.String(from))
		}
	case "setsd":
		v := call.In.Value("SD")
		var acl identity.ACL
		if !v.IsNull() {
			l, err := identity.ParseACL(sdBytes(v))
			if err != nil {
				return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "SD", Description: err.Error()}
			}
			acl = l
			if acl == nil {
				acl = identity.ACL{} // an empty list: nobody but administrators
			}
		}
		if err := s.om.SetACL(ctx, ns, acl); err != nil {
			return nil, err
		}
	case "getcalleraccessrights":
		c, _ := identity.FromContext(ctx)
		acl, _, err := s.om.effectiveACL(ctx, ns)
		if err != nil {
			return nil, err
		}
		out.Set("Rights", cim.Sint32(int32(acl.Rights(c))))
	default:
		return nil, &cim.Error{Status: cim.WBEM_E_METHOD_NOT_IMPLEMENTED, Parameter: call.Method.Name,
			Description: SecurityClass + " has no method " + call.Method.Name}
	}
	out.Set("ReturnValue", cim.Uint32(0))
	return out, nil
}

// authorizeApply checks that the caller in ctx may apply a MOF plan: write
// classes and instances (FullWrite) in every namespace it names.
func (om *ObjectManager) authorizeApply(ctx context.Context, plan *mof.Plan) error {
	seen := map[string]bool{}
	for _, it := range plan.Items {
		ns := cim.NormalNamespace(it.Namespace)
		if ns == "" {
			ns = cim.DefaultNamespace
		}
		if it.Instance != nil && strings.EqualFold(it.Instance.ClassName(), NamespaceClass) {
			return &cim.Error{Status: cim.WBEM_E_ACCESS_DENIED, Parameter: NamespaceClass,
				Description: it.Pos.String() + ": " + NamespaceClass + " is written through " + SecurityClass + ".SetSD only"}
		}
		if seen[strings.ToLower(ns)] {
			continue
		}
		seen[strings.ToLower(ns)] = true
		if _, err := om.authorize(ctx, &wbem.Op{Kind: wbem.OpPutClass, Namespace: ns}, nil); err != nil {
			return err
		}
	}
	return nil
}
