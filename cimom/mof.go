package cimom

import (
	"context"
	"errors"
	"io/fs"
	"sort"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

// schema lets the MOF compiler resolve superclasses against the store.
type schema struct {
	ctx context.Context
	om  *ObjectManager
}

func (s schema) Class(ns, name string) (*cim.Class, error) {
	var c *cim.Class
	err := s.om.store.View(s.ctx, func(tx repository.Tx) error {
		var err error
		c, err = tx.Class(cim.NormalNamespace(ns), name)
		return err
	})
	return c, err
}

// CompileMOF compiles the MOF file name of fsys (includes resolve relative
// to it) against the classes already stored, into namespace (mof's default
// when ""), and applies the result in one transaction: a failed compile or a
// failed apply leaves the store as it was.
func (om *ObjectManager) CompileMOF(ctx context.Context, fsys fs.FS, name, namespace string) (*mof.Plan, error) {
	plan, err := mof.Compile(ctx, fsys, name, mof.Options{Namespace: namespace, Schema: schema{ctx, om}})
	if err != nil {
		return nil, err
	}
	return plan, om.Apply(ctx, plan)
}

// Apply writes a compiled MOF plan to the store in one transaction: classes
// (with WMI's update rules), static instances, and the deleteclass and
// deleteinstance pragmas. Missing namespaces are created. Qualifier type
// declarations are stored (qualifiers.go), honouring the class flags in
// force (createonly, updateonly). Instances of
// dynamic classes are rejected: their provider owns them. A plan that would
// store only what is there already writes nothing (it is checked in a read
// transaction first), so a store opened read-only takes it.
func (om *ObjectManager) Apply(ctx context.Context, plan *mof.Plan) error {
	if err := om.authorizeApply(ctx, plan); err != nil {
		return err
	}
	order := applyOrder(plan.Items)
	apply := func(tx repository.Tx) error {
		for _, i := range order {
			it := &plan.Items[i]
			ns := cim.NormalNamespace(it.Namespace)
			if ns == "" {
				ns = cim.DefaultNamespace
			}
			if err := ensureNamespace(tx, ns, om.extraSystem); err != nil {
				return err
			}
			if err := om.applyItem(tx, ns, it); err != nil {
				if err == errChanges {
					return err
				}
				e := cim.AsError(err)
				c := *e
				c.Description = it.Pos.String() + ": " + e.Description
				return &c
			}
		}
		return nil
	}
	// A plan that changes nothing — the host classes installed again by
	// every start of wbemd and every in-process wbem command — writes
	// nothing: no write transaction, no lock, no fsync, the file untouched.
	if !om.changes(ctx, apply) {
		return nil
	}
	return om.updateSized(ctx, true, len(plan.Items), apply)
}

// applyOrder returns the order in which Apply writes a plan's items: the
// plan's, except that each run of consecutive instances is sorted by
// namespace, class and key (stably: two puts of one instance keep their
// order). The store's B+tree (bbolt) holds the keys a transaction inserts
// in an unsplit node until it commits, and inserting amid a node moves the
// keys after it: a MOF's instances in key order are appended instead, which
// keeps one transaction of 200,000 instances linear.
func applyOrder(items []mof.Item) []int {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	// Namespace and class are folded once per run of items that share
	// them (a MOF names one class for many instances), not per item.
	type sortKey struct{ ns, class, key string }
	keys := make([]sortKey, len(items))
	var lastNS, lastClass, foldNS, foldClass string
	for start := 0; start < len(items); {
		if items[start].Instance == nil {
			start++
			continue
		}
		end := start
		for ; end < len(items) && items[end].Instance != nil; end++ {
			it := &items[end]
			if it.Namespace != lastNS || foldNS == "" {
				lastNS, foldNS = it.Namespace, strings.ToLower(cim.NormalNamespace(it.Namespace))
			}
			if name := it.Instance.ClassName(); name != lastClass || foldClass == "" {
				lastClass, foldClass = name, strings.ToLower(name)
			}
			keys[end] = sortKey{foldNS, foldClass, repository.InstanceKey(it.Instance)}
		}
		run := order[start:end]
		less := func(a, b int) bool {
			x, y := &keys[run[a]], &keys[run[b]]
			if x.ns != y.ns {
				return x.ns < y.ns
			}
			if x.class != y.class {
				return x.class < y.class
			}
			return x.key < y.key
		}
		if !sort.SliceIsSorted(run, less) {
			sort.SliceStable(run, less)
		}
		start = end
	}
	return order
}

func (om *ObjectManager) applyItem(tx repository.Tx, ns string, it *mof.Item) error {
	var flags wbem.Flag
	if it.Flags&mof.FlagUpdateOnly != 0 {
		flags |= wbem.WBEM_FLAG_UPDATE_ONLY
	}
	if it.Flags&mof.FlagCreateOnly != 0 {
		flags |= wbem.WBEM_FLAG_CREATE_ONLY
	}
	if it.Flags&mof.FlagSafeUpdate != 0 {
		flags |= wbem.WBEM_FLAG_UPDATE_SAFE_MODE
	}
	if it.Flags&mof.FlagForceUpdate != 0 {
		flags |= wbem.WBEM_FLAG_UPDATE_FORCE_MODE
	}
	switch {
	case it.Qualifier != nil:
		return putQualifierTx(tx, ns, it.Qualifier, flags&(wbem.WBEM_FLAG_CREATE_ONLY|wbem.WBEM_FLAG_UPDATE_ONLY))
	case it.Class != nil:
		return om.putClassTx(tx, ns, it.Class, flags)
	case it.Instance != nil:
		c, _, _, err := om.putInstanceTx(tx, ns, it.Instance, putMode(flags))
		if err == nil && c.IsDynamic() {
			return &cim.Error{Status: cim.WBEM_E_INVALID_OPERATION, Parameter: c.Name,
				Description: "class " + c.Name + " is dynamic: its provider supplies its instances"}
		}
		return err
	case it.DeleteClass != "":
		err := om.deleteClassTx(tx, ns, it.DeleteClass)
		if errors.Is(err, cim.ErrNotFound) && !it.MustExist {
			return nil
		}
		return err
	case it.DeleteInstance != "":
		p, err := parsePath(it.DeleteInstance, ns)
		if err != nil {
			return err
		}
		c, err := om.class(tx, ns, p.Class)
		if err != nil {
			return err
		}
		rp, err := resolvePath(c, p)
		if err != nil {
			return err
		}
		err = tx.DeleteInstance(ns, c.Name, rp.KeyString())
		if errors.Is(err, cim.ErrNotFound) && !it.MustExist {
			return nil
		}
		return err
	}
	return nil
}

// ensureNamespace creates ns and its missing ancestors, with system classes.
func ensureNamespace(tx repository.Tx, ns string, extra []*cim.Class) error {
	if tx.NamespaceExists(ns) {
		return nil
	}
	parent := ""
	for i := len(ns) - 1; i >= 0; i-- {
		if ns[i] == '\\' {
			parent = ns[:i]
			break
		}
	}
	if parent == "" {
		return &cim.Error{Status: cim.WBEM_E_INVALID_NAMESPACE, Parameter: ns, Description: "namespace " + ns + " is not under root"}
	}
	if err := ensureNamespace(tx, parent, extra); err != nil {
		return err
	}
	return createNamespace(tx, ns, extra)
}
