package cli

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// namespaces lists the namespaces under one (root by default, every level
// unless --shallow), or creates or deletes one: namespaces are instances of
// __NAMESPACE in their parent, as in WMI.
func (r *runner) namespaces(ctx context.Context, args []string) error {
	if len(args) == 2 {
		ns := cim.NormalNamespace(args[1])
		switch args[0] {
		case "create":
			if err := r.ensureNamespace(ctx, ns); err != nil {
				return err
			}
			_, err := r.env.Stdout.Write([]byte(slashed(ns) + "\n"))
			return err
		case "delete":
			parent, leaf, ok := splitNamespace(ns)
			if !ok {
				return usageErrorf("namespaces delete: %s has no parent namespace; root cannot be deleted", args[1])
			}
			svc, err := r.conn.services(ctx, parent)
			if err != nil {
				return err
			}
			_, err = svc.DeleteInstance(ctx, "__NAMESPACE.Name="+strconv.Quote(leaf), 0)
			if errors.Is(err, cim.ErrNotFound) {
				return &cim.Error{Status: cim.WBEM_E_INVALID_NAMESPACE, Parameter: ns, Description: "namespace " + slashed(ns) + " does not exist"}
			}
			return err
		}
		return usageErrorf("usage: wbem namespaces [NS] | create NS | delete NS")
	}
	top := "root"
	if len(args) == 1 {
		if args[0] == "create" || args[0] == "delete" {
			return usageErrorf("usage: wbem namespaces %s NS", args[0])
		}
		top = args[0]
	}
	top = cim.NormalNamespace(top)
	out, err := newRowWriter(r.opts.output, r.env.Stdout)
	if err != nil {
		return err
	}
	if cw, ok := out.(*csvWriter); ok {
		cw.header = func() []string { return []string{"Namespace"} }
	}
	// Breadth first, children in name order; the queue holds names only.
	queue := []string{top}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			closeFailed(out)
			return err
		}
		ns := queue[0]
		queue = queue[1:]
		children, err := r.childNamespaces(ctx, ns)
		if err != nil {
			closeFailed(out)
			return err
		}
		for _, c := range children {
			full := ns + `\` + c
			if err := out.Row(record{names: []string{"Namespace"}, values: []cim.Value{cim.String(slashed(full))}}); err != nil {
				return err
			}
			if !r.flags.shallow {
				queue = append(queue, full)
			}
		}
	}
	return out.Close()
}

// childNamespaces returns the names of the namespaces directly under ns.
func (r *runner) childNamespaces(ctx context.Context, ns string) ([]string, error) {
	svc, err := r.conn.services(ctx, ns)
	if err != nil {
		return nil, err
	}
	e, err := svc.CreateInstanceEnum(ctx, "__NAMESPACE", streaming|wbem.WBEM_FLAG_SHALLOW)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	objs, err := e.Collect(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, o := range objs {
		if inst, ok := o.(*cim.Instance); ok {
			if n := inst.Value("Name"); !n.IsNull() && n.Str() != "" {
				names = append(names, n.Str())
			}
		}
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	return names, nil
}

// ensureNamespace creates ns and its missing parents, as WMI's mofcomp does
// for #pragma namespace: an instance of __NAMESPACE in the parent.
func (r *runner) ensureNamespace(ctx context.Context, ns string) error {
	parent, leaf, ok := splitNamespace(ns)
	if !ok {
		return nil // root always exists
	}
	svc, err := r.conn.services(ctx, parent)
	if err != nil {
		return err
	}
	if _, err := getObject(ctx, svc, "__NAMESPACE.Name="+strconv.Quote(leaf)); err == nil {
		return nil
	} else if st := cim.StatusOf(err); st == cim.WBEM_E_INVALID_NAMESPACE {
		if err := r.ensureNamespace(ctx, parent); err != nil {
			return err
		}
	} else if st != cim.WBEM_E_NOT_FOUND {
		return err
	}
	c, err := getClass(ctx, svc, "__NAMESPACE")
	if err != nil {
		return err
	}
	inst := c.NewInstance()
	if err := inst.Set("Name", cim.String(leaf)); err != nil {
		return err
	}
	_, err = svc.PutInstance(ctx, inst, wbem.WBEM_FLAG_CREATE_ONLY)
	if errors.Is(err, cim.ErrAlreadyExists) {
		return nil // made meanwhile
	}
	return err
}

// splitNamespace splits root\a\b into root\a and b.
func splitNamespace(ns string) (parent, leaf string, ok bool) {
	i := strings.LastIndexByte(ns, '\\')
	if i <= 0 || i == len(ns)-1 {
		return "", "", false
	}
	return ns[:i], ns[i+1:], true
}

// slashed writes a namespace with slashes, as the CLI takes it.
func slashed(ns string) string { return strings.ReplaceAll(ns, `\`, "/") }
