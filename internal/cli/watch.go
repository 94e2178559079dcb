package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wql"
)

// DefaultWatchWithin is the polling interval wbem watch falls back on for a
// class that only polling can watch, when --within is not given.
const DefaultWatchWithin = time.Second

// watchQuery is the event query of wbem watch: QUERY as given, or built
// from --created/--deleted/--modified CLASS, --within and --where.
func (r *runner) watchQuery(args []string, within time.Duration) (string, error) {
	f := r.flags
	kinds := 0
	for _, on := range []bool{f.created, f.deleted, f.modified} {
		if on {
			kinds++
		}
	}
	if kinds == 0 {
		if len(args) != 1 || f.where != "" || f.within != 0 {
			return "", usageErrorf("usage: wbem watch QUERY, or wbem watch --created|--deleted|--modified CLASS [--within D] [--where EXPR]")
		}
		return args[0], nil
	}
	if len(args) != 1 {
		return "", usageErrorf("usage: wbem watch --created|--deleted|--modified CLASS [--within D] [--where EXPR]")
	}
	class := args[0]
	q := &wql.SelectQuery{All: true, Class: "__InstanceOperationEvent", Within: within.Seconds()}
	conds := []wql.Expr{&wql.Isa{Prop: wql.Prop{Path: []string{"TargetInstance"}}, Class: class}}
	switch {
	case kinds == 3:
	case kinds == 1 && f.created:
		q.Class = "__InstanceCreationEvent"
	case kinds == 1 && f.deleted:
		q.Class = "__InstanceDeletionEvent"
	case kinds == 1 && f.modified:
		q.Class = "__InstanceModificationEvent"
	default:
		var any []wql.Expr
		for _, k := range []struct {
			on   bool
			name string
		}{{f.created, "__InstanceCreationEvent"}, {f.deleted, "__InstanceDeletionEvent"}, {f.modified, "__InstanceModificationEvent"}} {
			if k.on {
				any = append(any, &wql.Comparison{Prop: wql.Prop{Path: []string{"__CLASS"}}, Op: wql.Equal, Value: wql.Const{Kind: wql.ConstString, Str: k.name}})
			}
		}
		conds = append(conds, &wql.Logical{Op: wql.Or, Operands: any})
	}
	if f.where != "" {
		parsed, err := wql.Parse("SELECT * FROM " + class + " WHERE " + f.where)
		sq, ok := parsed.(*wql.SelectQuery)
		if err != nil || !ok || sq.Where == nil {
			if err == nil {
				err = fmt.Errorf("not a condition")
			}
			return "", usageErrorf("--where %q: %v", f.where, err)
		}
		conds = append(conds, onTarget(sq.Where))
	}
	q.Where = &wql.Logical{Op: wql.And, Operands: conds}
	return q.String(), nil
}

// onTarget makes the properties of a --where condition those of
// TargetInstance (PreviousInstance and system properties stay).
func onTarget(e wql.Expr) wql.Expr {
	fix := func(p wql.Prop) wql.Prop {
		first := p.Path[0]
		if strings.EqualFold(first, "TargetInstance") || strings.EqualFold(first, "PreviousInstance") || strings.HasPrefix(first, "__") {
			return p
		}
		p.Path = append([]string{"TargetInstance"}, p.Path...)
		return p
	}
	switch e := e.(type) {
	case *wql.Logical:
		out := &wql.Logical{Op: e.Op}
		for _, x := range e.Operands {
			out.Operands = append(out.Operands, onTarget(x))
		}
		return out
	case *wql.Not:
		return &wql.Not{X: onTarget(e.X)}
	case *wql.Comparison:
		c := *e
		c.Prop = fix(c.Prop)
		return &c
	case *wql.IsNull:
		c := *e
		c.Prop = fix(c.Prop)
		return &c
	case *wql.Isa:
		c := *e
		c.Prop = fix(c.Prop)
		return &c
	case *wql.Like:
		c := *e
		c.Prop = fix(c.Prop)
		return &c
	}
	return e
}

// watch streams events as they arrive until interrupted, --count events
// came or --timeout passed.
func (r *runner) watch(ctx context.Context, args []string) error {
	f := r.flags
	if f.count < 0 || f.timeout < 0 || f.within < 0 {
		return usageErrorf("--count, --timeout and --within must not be negative")
	}
	query, err := r.watchQuery(args, f.within)
	if err != nil {
		return err
	}
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	e, err := r.conn.svc.ExecNotificationQuery(ctx, "WQL", query, streaming)
	if cim.StatusOf(err) == cim.WBEMESS_E_REGISTRATION_TOO_PRECISE && f.within == 0 && (f.created || f.deleted || f.modified) {
		// The class is a provider's: its changes are found by polling.
		query, err = r.watchQuery(args, DefaultWatchWithin)
		if err != nil {
			return err
		}
		fmt.Fprintf(r.env.Stderr, "wbem: %s is polled every %v (--within sets the interval)\n", args[0], DefaultWatchWithin)
		e, err = r.conn.svc.ExecNotificationQuery(ctx, "WQL", query, streaming)
	}
	if err != nil {
		if f.timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil
		}
		return err
	}
	defer e.Close()
	out, err := newRowWriter(r.opts.output, r.env.Stdout)
	if err != nil {
		return err
	}
	full := r.opts.output == FormatJSON || r.opts.output == FormatJSONL
	buf := make([]cim.Object, NextBatch)
	seen := 0
	for {
		want := len(buf)
		if f.count > 0 {
			want = min(want, f.count-seen)
		}
		n, err := e.NextContext(ctx, NextWait, buf[:want])
		for _, obj := range buf[:n] {
			rec := eventRecord(obj, full)
			if r.opts.output == FormatMOF {
				rec = mofEventRecord(rec, obj)
			}
			if werr := out.Row(rec); werr != nil {
				return werr
			}
		}
		clear(buf[:n])
		seen += n
		if f.count > 0 && seen >= f.count {
			return out.Close()
		}
		switch {
		case err == nil, errors.Is(err, wbem.ErrTimedOut):
			if err != nil {
				if terr := out.Tick(); terr != nil {
					return terr
				}
			}
		case ctx.Err() != nil:
			out.Close()
			if f.timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil // --timeout: the watch is over
			}
			return ctx.Err()
		case err == io.EOF:
			return out.Close()
		default:
			out.Close()
			return err
		}
	}
}

// eventRecord lays an event out for printing: when it happened, what kind
// of event, and what it is about — for an instance event the instance's
// class and path and, for a modification, what changed (full: with the
// instances themselves, for the JSON formats). Other events show their own
// properties.
func eventRecord(obj cim.Object, full bool) record {
	ev, ok := obj.(*cim.Instance)
	if !ok {
		return recordOf(obj)
	}
	var r record
	add := func(name string, v cim.Value) {
		r.names = append(r.names, name)
		r.values = append(r.values, v)
	}
	add("Time", eventTime(ev.Value("TIME_CREATED")))
	c := ev.Class()
	switch {
	case c.IsA("__InstanceOperationEvent"):
		add("Event", cim.String(instanceEventKinds[strings.ToLower(ev.ClassName())]))
		target := ev.Value("TargetInstance").Instance()
		class, path := cim.Null, cim.Null
		if target != nil {
			class, path = cim.String(target.ClassName()), cim.String(target.ObjectPath().RelPath())
		}
		add("Class", class)
		add("Path", path)
		changes := cim.Null
		if prev := ev.Value("PreviousInstance").Instance(); prev != nil && target != nil {
			changes = cim.String(changed(prev, target))
		}
		add("Changes", changes)
		if full {
			add("TargetInstance", ev.Value("TargetInstance"))
			if c.PropertyIndex("previousinstance") >= 0 {
				add("PreviousInstance", ev.Value("PreviousInstance"))
			}
		}
	default:
		add("Event", cim.String(ev.ClassName()))
		for i := range c.Properties {
			p := &c.Properties[i]
			if strings.EqualFold(p.Name, "TIME_CREATED") || strings.EqualFold(p.Name, "SECURITY_DESCRIPTOR") {
				continue
			}
			v := ev.At(i)
			if p.Type == cim.TypeObject && !full {
				if o := v.Object(); o != nil {
					v = cim.String(objectName(o))
				}
			}
			add(p.Name, v)
		}
	}
	return r
}

// mofEventRecord prints an event as MOF: the event instance itself, after
// a comment line that says when, what and about which instance.
func mofEventRecord(r record, obj cim.Object) record {
	var b strings.Builder
	b.WriteString("//")
	for _, v := range r.values {
		if !v.IsNull() && v.Type() != cim.TypeObject {
			b.WriteString(" " + oneLine(humanText(v)))
		}
	}
	b.WriteString("\n")
	ev, _ := obj.(*cim.Instance)
	return record{names: []string{"//"}, values: []cim.Value{cim.String(b.String())}, obj: ev}
}

var instanceEventKinds = map[string]string{
	"__instancecreationevent":     "Created",
	"__instancedeletionevent":     "Deleted",
	"__instancemodificationevent": "Modified",
}

// eventTime turns a FILETIME (TIME_CREATED) into a readable time.
func eventTime(v cim.Value) cim.Value {
	if v.IsNull() {
		return cim.Null
	}
	const epochDiff = 116444736000000000
	ft := v.Uint()
	if ft < epochDiff {
		return cim.String(strconv.FormatUint(ft, 10))
	}
	t := time.Unix(0, int64(ft-epochDiff)*100)
	return cim.String(t.Format("2006-01-02T15:04:05.000Z07:00"))
}

// changed describes what differs between two versions of an instance:
// "Name: a → b, Size: 1 → 2".
func changed(prev, cur *cim.Instance) string {
	var parts []string
	c := cur.Class()
	for i := range c.Properties {
		name := c.Properties[i].Name
		now := cur.At(i)
		was := prev.Value(name)
		if was.IsNull() && now.IsNull() || !was.IsNull() && !now.IsNull() && was.Type() == now.Type() && was.Text() == now.Text() {
			continue
		}
		parts = append(parts, name+": "+changeText(was)+" → "+changeText(now))
	}
	return strings.Join(parts, ", ")
}

// changeText is a value in a change's description: as table and list show
// it, with NULL spelled out.
func changeText(v cim.Value) string {
	if v.IsNull() {
		return "NULL"
	}
	return humanText(v)
}

// objectName names an embedded object in one cell: an instance by its path,
// a class by its name.
func objectName(o cim.Object) string {
	switch o := o.(type) {
	case *cim.Instance:
		if p := o.ObjectPath(); len(p.Keys) > 0 || p.Singleton {
			return p.RelPath()
		}
		return o.ClassName()
	case *cim.Class:
		return o.Name
	}
	return ""
}
