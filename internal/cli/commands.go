package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wql"
)

// runner runs one command.
type runner struct {
	env   Env
	opts  options
	flags cmdFlags
	conn  *connection
	cols  []string // the columns to print: a query's SELECT list
	read  bool     // the command only reads
}

// streaming is how every enumerating command calls: semisynchronous and
// forward-only, so rows print as they arrive in memory bounded by the queue.
const streaming = wbem.WBEM_FLAG_RETURN_IMMEDIATELY | wbem.WBEM_FLAG_FORWARD_ONLY

// Streaming parameters: Next waits at most NextWait for a batch of up to
// NextBatch objects, so a slow provider's rows print within NextWait of
// their arrival; the live count on a terminal's stderr starts after
// CountAfter.
const (
	NextWait   = 100 * time.Millisecond
	NextBatch  = 256
	CountAfter = time.Second
)

func (r *runner) query(ctx context.Context, args []string) error {
	if q, err := wql.Parse(args[0]); err == nil {
		if sq, ok := q.(*wql.SelectQuery); ok && !sq.All {
			for _, p := range sq.Props {
				r.cols = append(r.cols, p.Path[0])
			}
		}
	}
	e, err := r.conn.svc.ExecQuery(ctx, "WQL", args[0], streaming)
	if err != nil {
		return err
	}
	return r.stream(ctx, e)
}

func (r *runner) enum(ctx context.Context, args []string) error {
	flags := streaming
	if r.flags.shallow {
		flags |= wbem.WBEM_FLAG_SHALLOW
	}
	e, err := r.conn.svc.CreateInstanceEnum(ctx, args[0], flags)
	if err != nil {
		return err
	}
	return r.stream(ctx, e)
}

func (r *runner) classes(ctx context.Context, args []string) error {
	super := ""
	if len(args) > 0 {
		super = args[0]
	}
	flags := streaming
	if r.flags.shallow {
		flags |= wbem.WBEM_FLAG_SHALLOW
	}
	e, err := r.conn.svc.CreateClassEnum(ctx, super, flags)
	if err != nil {
		return err
	}
	return r.stream(ctx, e)
}

// stream prints an enumeration's objects as they arrive and closes it.
func (r *runner) stream(ctx context.Context, e *wbem.Enumerator) error {
	defer e.Close()
	out, err := newRowWriter(r.opts.output, r.env.Stdout)
	if err != nil {
		return err
	}
	count := newCounter(r.env.Stderr, r.env.Terminal)
	defer count.done()
	buf := make([]cim.Object, NextBatch)
	for {
		n, err := e.Next(NextWait, buf)
		for _, obj := range buf[:n] {
			if werr := out.Row(recordOf(obj).only(r.cols)); werr != nil {
				return werr
			}
		}
		clear(buf[:n])
		count.add(n)
		switch {
		case err == nil:
		case errors.Is(err, wbem.ErrTimedOut):
			if err := out.Tick(); err != nil {
				return err
			}
		case err == io.EOF:
			return out.Close()
		default:
			out.Close() // what came before the failure
			return err
		}
		if err := ctx.Err(); err != nil {
			out.Close()
			return err
		}
	}
}

// counter shows a live count of objects on a terminal's stderr once an
// enumeration has run for CountAfter.
type counter struct {
	w       io.Writer
	on      bool
	start   time.Time
	last    time.Time
	n       int
	printed bool
}

func newCounter(w io.Writer, terminal bool) *counter {
	return &counter{w: w, on: terminal, start: time.Now()}
}

func (c *counter) add(n int) {
	c.n += n
	if !c.on {
		return
	}
	now := time.Now()
	if now.Sub(c.start) < CountAfter || now.Sub(c.last) < 100*time.Millisecond {
		return
	}
	c.last = now
	c.printed = true
	fmt.Fprintf(c.w, "\r%d objects…", c.n)
}

func (c *counter) done() {
	if c.printed {
		io.WriteString(c.w, "\r\x1b[K") // erase the count
	}
}

// getObject returns the class or instance at path.
func getObject(ctx context.Context, svc *wbem.Services, path string) (cim.Object, error) {
	res, err := svc.GetObject(ctx, path, 0)
	if err != nil {
		return nil, err
	}
	return res.ResultObject(wbem.Infinite)
}

func getClass(ctx context.Context, svc *wbem.Services, name string) (*cim.Class, error) {
	obj, err := getObject(ctx, svc, name)
	if err != nil {
		return nil, err
	}
	c, ok := obj.(*cim.Class)
	if !ok {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Parameter: name, Description: name + " is an instance path, not a class"}
	}
	return c, nil
}

// printOne prints a single object in the output format.
func (r *runner) printOne(obj cim.Object) error {
	out, err := newRowWriter(r.opts.output, r.env.Stdout)
	if err != nil {
		return err
	}
	if err := out.Row(recordOf(obj)); err != nil {
		return err
	}
	return out.Close()
}

func (r *runner) get(ctx context.Context, args []string) error {
	obj, err := getObject(ctx, r.conn.svc, args[0])
	if err != nil {
		return err
	}
	if c, ok := obj.(*cim.Class); ok {
		_, err := io.WriteString(r.env.Stdout, mof.FormatClass(c))
		return err
	}
	return r.printOne(obj)
}

func (r *runner) class(ctx context.Context, args []string) error {
	c, err := getClass(ctx, r.conn.svc, args[0])
	if err != nil {
		return err
	}
	_, err = io.WriteString(r.env.Stdout, mof.FormatClass(c))
	return err
}

func (r *runner) call(ctx context.Context, args []string) error {
	path, method := args[0], args[1]
	p, err := cim.ParsePath(path)
	if err != nil {
		return err
	}
	c, err := getClass(ctx, r.conn.svc, p.Class)
	if err != nil {
		return err
	}
	m, ok := c.Method(method)
	if !ok {
		return &cim.Error{Status: cim.WBEM_E_INVALID_METHOD, Parameter: method,
			Description: fmt.Sprintf("class %s has no method %s", c.Name, method)}
	}
	inClass, _ := m.ParameterClasses()
	var in *cim.Instance
	if len(args) > 2 {
		in = inClass.NewInstance()
		if err := assign(in, args[2:], c.Name+"."+m.Name, "in-parameter"); err != nil {
			return err
		}
	}
	res, err := r.conn.svc.ExecMethod(ctx, path, m.Name, in, 0)
	if err != nil {
		return err
	}
	out, err := res.ResultObject(wbem.Infinite)
	if err != nil {
		return err
	}
	return r.printOne(out)
}

func (r *runner) put(ctx context.Context, args []string) error {
	c, err := getClass(ctx, r.conn.svc, args[0])
	if err != nil {
		return err
	}
	inst := c.NewInstance()
	if err := assign(inst, args[1:], c.Name, "property"); err != nil {
		return err
	}
	var flags wbem.Flag
	switch {
	case r.flags.create && r.flags.update:
		return usageErrorf("put: --create and --update exclude each other")
	case r.flags.create:
		flags = wbem.WBEM_FLAG_CREATE_ONLY
	case r.flags.update:
		flags = wbem.WBEM_FLAG_UPDATE_ONLY
	}
	res, err := r.conn.svc.PutInstance(ctx, inst, flags)
	if err != nil {
		return err
	}
	path, err := res.ResultString(wbem.Infinite)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(r.env.Stdout, path)
	return err
}

func (r *runner) delete(ctx context.Context, args []string) error {
	var err error
	if r.flags.class {
		_, err = r.conn.svc.DeleteClass(ctx, args[0], 0)
	} else {
		var p cim.ObjectPath
		if p, err = cim.ParsePath(args[0]); err == nil && p.IsClass() {
			return usageErrorf("delete: %s is a class; to delete it, its subclasses and their instances, add --class", args[0])
		}
		_, err = r.conn.svc.DeleteInstance(ctx, args[0], 0)
	}
	return err
}

// assign sets Name=Value arguments on inst, converting each value from text
// to the property's type: numbers, booleans (true/false), datetimes and
// references as text, arrays as comma-separated lists, optionally in braces
// ({1,2,3}). An empty value is NULL for any type but string.
func assign(inst *cim.Instance, args []string, owner, what string) error {
	c := inst.Class()
	for _, a := range args {
		name, text, ok := strings.Cut(a, "=")
		if !ok || name == "" {
			return usageErrorf("%q is not Name=Value", a)
		}
		p, ok := c.Property(name)
		if !ok {
			return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: name,
				Description: fmt.Sprintf("%s has no %s %s (it has %s)", owner, what, name, propertyNames(c))}
		}
		v := cim.String(text)
		switch {
		case text == "" && p.Type != cim.TypeString:
			v = cim.Null
		case p.Type.IsArray():
			text = strings.TrimSuffix(strings.TrimPrefix(text, "{"), "}")
			var elems []cim.Value
			if text != "" {
				for _, e := range strings.Split(text, ",") {
					elems = append(elems, cim.String(strings.TrimSpace(e)))
				}
			}
			v = cim.Array(cim.TypeString, elems...)
		}
		if err := inst.Set(p.Name, v); err != nil {
			e := cim.AsError(err)
			return &cim.Error{Status: e.Status, Parameter: name, Description: e.Description}
		}
	}
	return nil
}

func propertyNames(c *cim.Class) string {
	if len(c.Properties) == 0 {
		return "none"
	}
	names := make([]string, len(c.Properties))
	for i := range c.Properties {
		names[i] = c.Properties[i].Name
	}
	return strings.Join(names, ", ")
}

func (r *runner) mofcomp(ctx context.Context, args []string) error {
	ns := cim.NormalNamespace(r.opts.namespace)
	for _, file := range args {
		// Positions name the file as given when it is below the working
		// directory; includes resolve relative to the including file.
		fsys, name := os.DirFS("."), filepath.ToSlash(filepath.Clean(file))
		if !filepath.IsLocal(file) {
			fsys, name = os.DirFS(filepath.Dir(file)), filepath.Base(file)
		}
		var plan *mof.Plan
		var err error
		if r.conn.om != nil && !r.flags.check {
			// In-process: the whole file is applied in one transaction.
			plan, err = r.conn.om.CompileMOF(ctx, fsys, name, ns)
		} else {
			plan, err = mof.Compile(ctx, fsys, name, mof.Options{Namespace: ns, Schema: schema{ctx, r.conn}})
			if err == nil && !r.flags.check {
				err = r.apply(ctx, plan)
			}
		}
		if err != nil {
			return err // a compile error names file:line:column
		}
		verb := "compiled"
		if r.flags.check {
			verb = "checked"
		}
		classes, instances, deletes := counts(plan)
		fmt.Fprintf(r.env.Stdout, "%s %s: classes %d, instances %d, deletions %d\n", verb, file, classes, instances, deletes)
	}
	return nil
}

// schema lets the MOF compiler find the classes of the object manager.
type schema struct {
	ctx  context.Context
	conn *connection
}

func (s schema) Class(ns, name string) (*cim.Class, error) {
	svc, err := s.conn.services(s.ctx, ns)
	if err != nil {
		return nil, err
	}
	c, err := getClass(s.ctx, svc, name)
	if isClassMissing(err) || errors.Is(err, cim.ErrInvalidNamespace) {
		return nil, nil
	}
	return c, err
}

// apply performs a plan's steps one by one on a remote object manager. Unlike
// the in-process compile, it is not one transaction: a failure leaves the
// steps before it done.
func (r *runner) apply(ctx context.Context, plan *mof.Plan) error {
	for _, it := range plan.Items {
		svc, err := r.conn.services(ctx, it.Namespace)
		if err != nil {
			return err
		}
		var flags wbem.Flag
		if it.Flags&mof.FlagUpdateOnly != 0 {
			flags |= wbem.WBEM_FLAG_UPDATE_ONLY
		}
		if it.Flags&mof.FlagCreateOnly != 0 {
			flags |= wbem.WBEM_FLAG_CREATE_ONLY
		}
		switch {
		case it.Class != nil:
			if it.Flags&mof.FlagSafeUpdate != 0 {
				flags |= wbem.WBEM_FLAG_UPDATE_SAFE_MODE
			}
			if it.Flags&mof.FlagForceUpdate != 0 {
				flags |= wbem.WBEM_FLAG_UPDATE_FORCE_MODE
			}
			_, err = svc.PutClass(ctx, it.Class, flags)
		case it.Instance != nil:
			_, err = svc.PutInstance(ctx, it.Instance, flags)
		case it.DeleteClass != "":
			_, err = svc.DeleteClass(ctx, it.DeleteClass, 0)
			if errors.Is(err, cim.ErrNotFound) && !it.MustExist {
				err = nil
			}
		case it.DeleteInstance != "":
			_, err = svc.DeleteInstance(ctx, it.DeleteInstance, 0)
			if errors.Is(err, cim.ErrNotFound) && !it.MustExist {
				err = nil
			}
		}
		if err != nil {
			e := cim.AsError(err)
			c := *e
			c.Description = it.Pos.String() + ": " + e.Description
			return &c
		}
	}
	return nil
}

// counts sums up a plan for mofcomp's report.
func counts(plan *mof.Plan) (classes, instances, deletes int) {
	for _, it := range plan.Items {
		switch {
		case it.Class != nil:
			classes++
		case it.Instance != nil:
			instances++
		case it.DeleteClass != "", it.DeleteInstance != "":
			deletes++
		}
	}
	return
}
