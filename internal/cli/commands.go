package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
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
	// explicitOutput says -o was given (else the command's default).
	explicitOutput bool
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
	from := ""
	if q, err := wql.Parse(args[0]); err == nil {
		if sq, ok := q.(*wql.SelectQuery); ok {
			from = sq.Class
			if !sq.All {
				for _, p := range sq.Props {
					r.cols = append(r.cols, p.Path[0])
				}
			}
		}
	}
	e, err := r.conn.svc.ExecQuery(ctx, "WQL", args[0], streaming)
	if err != nil {
		return err
	}
	return r.stream(ctx, e, r.header(ctx, from))
}

// header returns the columns of an empty result, for CSV: the SELECT list,
// or the class's properties.
func (r *runner) header(ctx context.Context, class string) func() []string {
	return func() []string {
		if len(r.cols) > 0 {
			return r.cols
		}
		if class == "" {
			return nil
		}
		c, err := getClass(ctx, r.conn.svc, class)
		if err != nil {
			return nil
		}
		return recordOf(c.NewInstance()).names
	}
}

// enum lists a class's instances; -p and -w turn it into the query
// SELECT p FROM class WHERE w (Get-CimInstance's -Property and -Filter),
// with --shallow as __CLASS = class.
func (r *runner) enum(ctx context.Context, args []string) error {
	class := args[0]
	if r.flags.props != "" || r.flags.where != "" {
		return r.enumQuery(ctx, class)
	}
	flags := streaming
	if r.flags.shallow {
		flags |= wbem.WBEM_FLAG_SHALLOW
	}
	e, err := r.conn.svc.CreateInstanceEnum(ctx, class, flags)
	if err != nil {
		return err
	}
	return r.stream(ctx, e, r.header(ctx, class))
}

func (r *runner) enumQuery(ctx context.Context, class string) error {
	if !validName(class) {
		return &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Parameter: class, Description: strconv.Quote(class) + " is not a class name"}
	}
	sel := "*"
	if r.flags.props != "" {
		var names []string
		for _, p := range strings.Split(r.flags.props, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			if !validName(p) {
				return usageErrorf("enum: --property %q is not a property name", p)
			}
			names = append(names, p)
		}
		if len(names) == 0 {
			return usageErrorf("enum: --property names no property")
		}
		sel = strings.Join(names, ", ")
		r.cols = names
	}
	q := "SELECT " + sel + " FROM " + class
	var where []string
	if r.flags.where != "" {
		where = append(where, "("+r.flags.where+")")
	}
	if r.flags.shallow {
		where = append(where, "__CLASS = "+strconv.Quote(class))
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	e, err := r.conn.svc.ExecQuery(ctx, "WQL", q, streaming)
	if err != nil {
		return err
	}
	return r.stream(ctx, e, r.header(ctx, class))
}

// validName reports whether s is a CIM name (class or property).
func validName(s string) bool {
	if s == "" || len(s) > cim.MaxNameLength {
		return false
	}
	for i, c := range s {
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
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
	return r.stream(ctx, e, func() []string { return []string{"Name", "Superclass"} })
}

// stream prints an enumeration's objects as they arrive and closes it;
// header gives the CSV columns of an empty result.
func (r *runner) stream(ctx context.Context, e *wbem.Enumerator, header func() []string) error {
	defer e.Close()
	out, err := newRowWriter(r.opts.output, r.env.Stdout)
	if err != nil {
		return err
	}
	if cw, ok := out.(*csvWriter); ok {
		cw.header = header
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
			closeFailed(out) // what came before the failure
			return err
		}
		if err := ctx.Err(); err != nil {
			closeFailed(out)
			return err
		}
	}
}

// closeFailed closes the output of an enumeration that failed: what came
// before prints, but no header stands for an empty result.
func closeFailed(out rowWriter) {
	if cw, ok := out.(*csvWriter); ok {
		cw.header = nil
	}
	out.Close()
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

// printOne prints a single object in the output format (with json, as an
// object rather than an array of one).
func (r *runner) printOne(obj cim.Object) error {
	out, err := newRowWriter(r.opts.output, r.env.Stdout)
	if err != nil {
		return err
	}
	if jw, ok := out.(*jsonWriter); ok && jw.array {
		jw.single = true
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
		if !r.explicitOutput {
			r.opts.output = FormatMOF // a class reads best as MOF
		}
		return r.printClass(c)
	}
	return r.printOne(obj)
}

func (r *runner) class(ctx context.Context, args []string) error {
	c, err := getClass(ctx, r.conn.svc, args[0])
	if err != nil {
		return err
	}
	return r.printClass(c)
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
	if err := r.printOne(out); err != nil {
		return err
	}
	return returnValueError(c.Name, m, out)
}

// returnValueError is the failure a ReturnValue other than 0 stands for
// (exit code ExitFailed), with what the value means by the method's
// ValueMap and Values qualifiers.
func returnValueError(class string, m *cim.Method, out cim.Object) error {
	inst, ok := out.(*cim.Instance)
	if !ok {
		return nil
	}
	rv := inst.Value("ReturnValue")
	if rv.IsNull() || !rv.Type().IsInteger() {
		return nil
	}
	text := rv.Text()
	if text == "0" {
		return nil
	}
	msg := fmt.Sprintf("%s.%s returned %s", class, m.Name, text)
	if meaning := valueMeaning(m.Qualifiers, text); meaning != "" {
		msg += " (" + meaning + ")"
	}
	return &returnError{msg: msg}
}

// valueMeaning looks a value up in ValueMap/Values qualifiers: the Values
// entry at the position of the ValueMap entry that matches (a number or a
// range a..b), or at the value's own position when there is no ValueMap.
func valueMeaning(qs cim.Qualifiers, value string) string {
	values := qs.Value("Values")
	if values.IsNull() || !values.Type().IsArray() {
		return ""
	}
	names := values.Array()
	vm := qs.Value("ValueMap")
	if vm.IsNull() || !vm.Type().IsArray() {
		if i, err := strconv.Atoi(value); err == nil && i >= 0 && i < len(names) {
			return names[i].Text()
		}
		return ""
	}
	n, nerr := strconv.ParseInt(value, 10, 64)
	for i, e := range vm.Array() {
		if i >= len(names) {
			break
		}
		k := strings.TrimSpace(e.Text())
		if k == value {
			return names[i].Text()
		}
		if lo, hi, ok := strings.Cut(k, ".."); ok && nerr == nil {
			l, lerr := strconv.ParseInt(lo, 10, 64)
			h, herr := strconv.ParseInt(hi, 10, 64)
			if (lo == "" || lerr == nil && n >= l) && (hi == "" || herr == nil && n <= h) {
				return names[i].Text()
			}
		}
	}
	return ""
}

// returnError is a method's non-zero ReturnValue: the call worked, the
// method says it failed.
type returnError struct{ msg string }

func (e *returnError) Error() string { return e.msg }

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
		// WMI's partial update: the instance as it is, with only the named
		// properties changed (get, modify, put).
		if inst, err = r.current(ctx, c, inst, args[1:]); err != nil {
			return err
		}
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

// current returns the instance that the keys of given name, with the
// Name=Value arguments applied to it.
func (r *runner) current(ctx context.Context, c *cim.Class, given *cim.Instance, args []string) (*cim.Instance, error) {
	named := map[string]bool{}
	for _, a := range args {
		n, _, _ := strings.Cut(a, "=")
		named[strings.ToLower(n)] = true
	}
	var missing []string
	for _, k := range c.Keys() {
		if !named[strings.ToLower(c.Properties[k].Name)] {
			missing = append(missing, c.Properties[k].Name)
		}
	}
	if len(missing) > 0 && !c.IsSingleton() {
		return nil, usageErrorf("put --update: name the instance by its keys (%s missing)", strings.Join(missing, ", "))
	}
	path := given.ObjectPath()
	path.Server, path.Namespace = "", ""
	obj, err := getObject(ctx, r.conn.svc, path.String())
	if err != nil {
		return nil, err
	}
	cur, ok := obj.(*cim.Instance)
	if !ok {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_OBJECT, Parameter: path.String(), Description: path.String() + " is not an instance"}
	}
	inst := cur.Clone()
	if err := assign(inst, args, c.Name, "property"); err != nil {
		return nil, err
	}
	return inst, nil
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
	classFl, instFl, err := r.mofModes()
	if err != nil {
		return err
	}
	for _, file := range args {
		// Positions name the file as given when it is below the working
		// directory; includes resolve relative to the including file.
		fsys, name := os.DirFS("."), filepath.ToSlash(filepath.Clean(file))
		if !filepath.IsLocal(file) {
			fsys, name = os.DirFS(filepath.Dir(file)), filepath.Base(file)
		}
		plan, err := mof.Compile(ctx, fsys, name, mof.Options{Namespace: ns, Schema: schema{ctx, r.conn}})
		if err != nil {
			return mofHint(err) // a compile error names file:line:column
		}
		for i := range plan.Items {
			it := &plan.Items[i]
			switch {
			case it.Class != nil && it.Flags == 0:
				it.Flags = classFl
			case it.Instance != nil && it.Flags == 0:
				it.Flags = instFl
			}
		}
		if !r.flags.check {
			if r.conn.om != nil {
				// In-process: the whole file is applied in one transaction,
				// missing namespaces created.
				err = r.conn.om.Apply(ctx, plan)
			} else {
				err = r.apply(ctx, file, plan)
			}
			if err != nil {
				return mofHint(err)
			}
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

// mofModes turns mofcomp's switches into the flags of the plan's classes and
// instances (those a #pragma classflags or instanceflags leaves unset).
func (r *runner) mofModes() (class, inst mof.Flags, err error) {
	f := r.flags
	n := 0
	for _, on := range []bool{f.classCreateOnly, f.classUpdateOnly} {
		if on {
			n++
		}
	}
	if n > 1 || f.classCreateOnly && (f.classSafeUpdate || f.classForceUpdate) || f.classSafeUpdate && f.classForceUpdate {
		return 0, 0, usageErrorf("mofcomp: -class:createonly, -class:updateonly, -class:safeupdate and -class:forceupdate: createonly excludes the others, safeupdate excludes forceupdate")
	}
	if f.instCreateOnly && f.instUpdateOnly {
		return 0, 0, usageErrorf("mofcomp: -instance:createonly and -instance:updateonly exclude each other")
	}
	if f.classCreateOnly {
		class |= mof.FlagCreateOnly
	}
	if f.classUpdateOnly {
		class |= mof.FlagUpdateOnly
	}
	if f.classSafeUpdate {
		class |= mof.FlagSafeUpdate
	}
	if f.classForceUpdate {
		class |= mof.FlagForceUpdate
	}
	if f.instCreateOnly {
		inst |= mof.FlagCreateOnly
	}
	if f.instUpdateOnly {
		inst |= mof.FlagUpdateOnly
	}
	return class, inst, nil
}

// mofHint adds to a class update the object manager refused what mofcomp
// switch would let it through.
func mofHint(err error) error {
	e := cim.AsError(err)
	switch e.Status {
	case cim.WBEM_E_CLASS_HAS_CHILDREN, cim.WBEM_E_CLASS_HAS_INSTANCES:
		c := *e
		c.Description += " (wbem mofcomp -class:safeupdate updates it when no data is lost, -class:forceupdate in any case)"
		return &c
	}
	return err
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

// apply performs a plan's steps one by one on a remote object manager,
// creating the namespaces it names as the in-process compile does. Unlike
// the in-process compile, it is not one transaction: a failure or an
// interruption leaves the steps before it done, and says how many.
func (r *runner) apply(ctx context.Context, file string, plan *mof.Plan) (err error) {
	done := 0
	defer func() {
		if err != nil && len(plan.Items) > 0 {
			what := "failure"
			if ctx.Err() != nil {
				what = "interruption"
			}
			fmt.Fprintf(r.env.Stderr, "wbem: %s: %d of %d items applied before the %s\n", file, done, len(plan.Items), what)
		}
	}()
	created := map[string]bool{}
	for _, it := range plan.Items {
		if err := ctx.Err(); err != nil {
			return err
		}
		ns := cim.NormalNamespace(it.Namespace)
		if ns == "" {
			ns = cim.DefaultNamespace
		}
		if !created[strings.ToLower(ns)] {
			if err := r.ensureNamespace(ctx, ns); err != nil {
				return err
			}
			created[strings.ToLower(ns)] = true
		}
		svc, err := r.conn.services(ctx, ns)
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
		case it.Qualifier != nil:
			// A server that keeps no qualifier declarations (WMI, or
			// gowbem over WS-Management) types qualifiers by their values
			// where they are used: the declaration is not needed there.
			if err = svc.PutQualifier(ctx, it.Qualifier, 0); cim.StatusOf(err) == cim.WBEM_E_NOT_SUPPORTED {
				err = nil
			}
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
			if ctx.Err() != nil {
				return ctx.Err()
			}
			e := cim.AsError(err)
			c := *e
			c.Description = it.Pos.String() + ": " + e.Description
			return &c
		}
		done++
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
