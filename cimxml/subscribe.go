package cimxml

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/push"
	"github.com/gowbem/gowbem/wbem"
)

// IndicationOptions enables CIM-XML indication subscriptions (DSP1054) on
// a Server: instances of CIM_IndicationFilter, CIM_ListenerDestinationCIMXML
// and CIM_IndicationSubscription made with CreateInstance. A subscription
// is an event query (ExecNotificationQuery, run as the user who created
// it) whose events the server exports to the destination's listener.
type IndicationOptions struct {
	// MaxPerUser caps the filters, destinations and subscriptions one user
	// holds together (DefaultMaxSubscriptionObjects); past it CreateInstance
	// is CIM_ERR_SERVER_LIMITS_EXCEEDED.
	MaxPerUser int
	// Backlog is how many indications a subscription holds while its
	// listener is slow or away (DefaultIndicationBacklog); past it the
	// oldest are dropped, counted and logged.
	Backlog int
	// RetryAttempts is how many times a failed export is tried again
	// (DSP1054's DeliveryRetryAttempts, DefaultRetryAttempts; negative: none)
	// and RetryInterval the wait between tries (DefaultRetryInterval); an
	// indication that fails them all is dropped, counted and logged.
	RetryAttempts int
	RetryInterval time.Duration
	// Exporter sends the indications; by default one whose requests time
	// out after DefaultExportTimeout.
	Exporter *Exporter
	// Persist keeps the filters, destinations and subscriptions in the
	// repository (RecordNamespace, a namespace only administrators may
	// enter), so that NewServer restores them after a restart; without it
	// they live in memory only.
	Persist bool
	// Lookup finds a restored object's creator by user name (a daemon
	// gives its users file's, then PAM's accounts): the subscription runs
	// with the rights the user has now. A creator Lookup answers
	// identity.ErrNoUser for (errors.Is) loses their objects, and so does
	// one created by a PAM login (Caller.Method "pam") that Lookup now
	// finds as a user that is not a PAM account (Method not "pam"), or the
	// other way round. Any other error says the lookup could not be made
	// (PAM or the name service failed): the creator's objects are kept,
	// not active, and tried again every RestoreRetryInterval until Lookup
	// gives a verdict. Without Lookup a creator is restored as a user of
	// that name with no group and no administrator's rights.
	Lookup func(name string) (*identity.Caller, error)
	// RestoreRetryInterval is the wait between tries to restore objects
	// whose creator's lookup failed (DefaultRestoreRetryInterval).
	RestoreRetryInterval time.Duration
	// ClassNamespaces are the namespaces into which NewServer installs the
	// subscription classes (IndicationClasses) it finds missing, so that
	// GetClass answers for them there (a daemon: root\cimv2). The server
	// also installs them in a namespace the first time someone creates a
	// subscription object in it.
	ClassNamespaces []string
}

// Defaults of IndicationOptions.
const (
	DefaultMaxSubscriptionObjects = 64
	DefaultIndicationBacklog      = 1000
	DefaultRetryAttempts          = 3
	DefaultRetryInterval          = 20 * time.Second
	DefaultRestoreRetryInterval   = time.Minute
	DefaultExportTimeout          = 30 * time.Second
)

// The kinds of subscription objects a server keeps.
type subKind int

const (
	kindFilter subKind = iota + 1
	kindDest
	kindSub
)

// subKindOf maps the class names the server serves to their kind.
func subKindOf(class string) subKind {
	switch strings.ToLower(class) {
	case "cim_indicationfilter":
		return kindFilter
	case "cim_listenerdestinationcimxml", "cim_indicationhandlercimxml":
		return kindDest
	case "cim_indicationsubscription":
		return kindSub
	}
	return 0
}

// subObject is a filter, destination or subscription.
type subObject struct {
	kind  subKind
	owner string
	path  cim.ObjectPath
	inst  *cim.Instance // as created, then as modified (under the table's mu)
	// view is inst as the server shows it (viewLocked), made from viewOf.
	view, viewOf *cim.Instance

	query, lang     string   // filter
	sources         []string // filter: SourceNamespaces, backslashed
	dest            string   // destination's URL
	filter, handler string   // subscription's keys in the table

	// A subscription's run: its event queries and goroutines, while it is
	// enabled. The fields are set and cleared under the table's mu; run
	// orders the starts and stops of one subscription (an enable, a
	// disable, a delete).
	run       sync.Mutex
	ready     bool               // created (a subscription: started or probed)
	disabled  bool               // SubscriptionState Disabled (4): no run
	cancel    context.CancelFunc // subscription
	e         []*wbem.Enumerator // one per source namespace
	q         *backlogQueue
	done      chan struct{}
	delivered atomic.Uint64
	dropped   atomic.Uint64
}

// lostIn is the number of events that dropping ind loses: one, or the
// number a notice of lost events tells.
func lostIn(ind *cim.Instance) uint64 {
	if strings.EqualFold(ind.ClassName(), "__EventQueueOverflowEvent") {
		if v := ind.Value("NumberOfEvents"); !v.IsNull() {
			return v.Uint()
		}
	}
	return 1
}

// getClass reads a class through svc.
func getClass(ctx context.Context, svc *wbem.Services, name string) (*cim.Class, error) {
	cr, err := svc.GetObject(ctx, name, 0)
	if err != nil {
		return nil, err
	}
	obj, err := cr.ResultObject(wbem.Infinite)
	if err != nil {
		return nil, err
	}
	c, ok := obj.(*cim.Class)
	if !ok {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Description: name + " is not a class"}
	}
	return c, nil
}

// subTable holds a server's subscription objects, in memory.
type subTable struct {
	opts IndicationOptions
	mu   sync.Mutex
	objs map[string]*subObject // kind + namespace + key, lower case
	per  map[string]int        // by owner

	persist bool     // Persist, and the record namespace is ready
	pending int      // records held back for a later restore (under mu)
	classes sync.Map // namespaces (lower case) with the subscription classes

	delivered, dropped atomic.Uint64 // of deleted subscriptions
}

func newSubTable(o IndicationOptions) *subTable {
	if o.MaxPerUser <= 0 {
		o.MaxPerUser = DefaultMaxSubscriptionObjects
	}
	if o.Backlog <= 0 {
		o.Backlog = DefaultIndicationBacklog
	}
	if o.RetryAttempts == 0 {
		o.RetryAttempts = DefaultRetryAttempts
	}
	o.RetryAttempts = max(o.RetryAttempts, 0)
	if o.RetryInterval <= 0 {
		o.RetryInterval = DefaultRetryInterval
	}
	if o.RestoreRetryInterval <= 0 {
		o.RestoreRetryInterval = DefaultRestoreRetryInterval
	}
	if o.Exporter == nil {
		o.Exporter = &Exporter{HTTPClient: &http.Client{Timeout: DefaultExportTimeout}}
	}
	return &subTable{opts: o, objs: map[string]*subObject{}, per: map[string]int{}, persist: o.Persist}
}

// tableKey is the key of an object of owner's: each user's objects are
// apart, so that no user learns or takes the names of another's.
func tableKey(kind subKind, owner, ns string, parts ...string) string {
	return owner + "\x00" + strings.ToLower(fmt.Sprint(int(kind), "\x00", strings.ReplaceAll(ns, "/", `\`), "\x00", strings.Join(parts, "\x00")))
}

// IndicationStats tells how a server's CIM-XML subscriptions fare: how many
// there are, and how many indications they have exported and dropped (a
// full backlog, or a listener that failed every retry). Pending counts the
// stored filters, destinations and subscriptions not restored yet because
// their creator's lookup failed (IndicationOptions.Lookup). Disabled
// counts the subscriptions that are disabled (SubscriptionState 4), and
// Backlog the indications waiting in the subscriptions' backlogs now.
type IndicationStats struct {
	Subscriptions      int
	Delivered, Dropped uint64
	Pending            int
	Disabled           int
	Backlog            int
}

// IndicationStats returns the counts of the server's subscriptions (zero
// without Options.Indications).
func (s *Server) IndicationStats() IndicationStats {
	t := s.subs
	if t == nil {
		return IndicationStats{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st := IndicationStats{Delivered: t.delivered.Load(), Dropped: t.dropped.Load(), Pending: t.pending}
	for _, o := range t.objs {
		if o.kind == kindSub {
			st.Subscriptions++
			st.Delivered += o.delivered.Load()
			st.Dropped += o.dropped.Load()
			if o.disabled {
				st.Disabled++
			}
			if o.q != nil {
				o.q.mu.Lock()
				st.Backlog += len(o.q.items)
				o.q.mu.Unlock()
			}
		}
	}
	return st
}

// closeAll ends every subscription (Server.Close).
func (t *subTable) closeAll() {
	t.mu.Lock()
	var subs []*subObject
	for k, o := range t.objs {
		if o.kind == kindSub {
			subs = append(subs, o)
		}
		delete(t.objs, k)
	}
	t.per = map[string]int{}
	t.mu.Unlock()
	for _, o := range subs {
		o.run.Lock()
		t.stop(o)
		o.run.Unlock()
	}
}

// current returns o's instance as it is now: as created and modified.
func (t *subTable) current(o *subObject) *cim.Instance {
	t.mu.Lock()
	defer t.mu.Unlock()
	return o.inst
}

// shown returns o's instance as the server shows it (viewLocked).
func (t *subTable) shown(o *subObject) *cim.Instance {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.viewLocked(o)
}

// viewLocked returns o's instance as GetInstance, the enumerations and
// GetProperty show it: as created and modified, with a filter's or
// destination's four keys those of its path (whatever its creator gave for
// them: the server names the object), and what the server holds for it
// that its creator left out (NULL or absent) — a filter's QueryLanguage and
// the SourceNamespaces it watches, a destination's Protocol (CIM-XML), a
// subscription's OnFatalErrorPolicy (Ignore) and RepeatNotificationPolicy
// (None), the only ones it takes. The rest the creator gave is shown as
// given, so that a client sending back what it read changes nothing (nor
// does one sending the keys it gave: modifyBy). The caller holds t.mu.
func (t *subTable) viewLocked(o *subObject) *cim.Instance {
	if o.view != nil && o.viewOf == o.inst {
		return o.view
	}
	cl := o.inst.Class()
	vals := map[string]cim.Value{}
	set := func(name string, v cim.Value, given bool) {
		if i := cl.PropertyIndex(name); i >= 0 {
			if given && !o.inst.At(i).IsNull() {
				return
			}
			var err error
			if v, err = v.Convert(cl.Properties[i].Type); err != nil {
				return // declared by its creator as of another type: left NULL
			}
		}
		vals[name] = v
	}
	fill := func(name string, v cim.Value) { set(name, v, true) }
	switch o.kind {
	case kindFilter:
		for _, k := range o.path.Keys {
			set(k.Name, k.Value, false)
		}
		fill("QueryLanguage", cim.String(o.lang))
		ns := make([]cim.Value, len(o.sources))
		for i, n := range o.sources {
			ns[i] = cim.String(n)
		}
		fill("SourceNamespaces", cim.Array(cim.TypeString, ns...))
	case kindDest:
		for _, k := range o.path.Keys {
			set(k.Name, k.Value, false)
		}
		fill("Protocol", cim.Uint16(protocolCIMXML))
	case kindSub:
		fill("OnFatalErrorPolicy", cim.Uint16(fatalIgnore))
		fill("RepeatNotificationPolicy", cim.Uint16(repeatNone))
	}
	view := o.inst
	if len(vals) > 0 {
		v, err := withValues(o.inst, vals)
		if err == nil {
			view = v
		}
	}
	o.view, o.viewOf = view, o.inst
	return view
}

// stop ends o's run, if it has one, and waits for its goroutines; what
// its backlog still held is dropped and counted. One still starting
// (closeAll) ends by the server's context. The caller holds o.run, or o
// is nobody else's yet.
func (t *subTable) stop(o *subObject) (lost uint64) {
	t.mu.Lock()
	cancel, es, q, done := o.cancel, o.e, o.q, o.done
	o.cancel, o.e, o.q, o.done = nil, nil, nil, nil
	t.mu.Unlock()
	if cancel == nil {
		return 0
	}
	cancel()
	for _, e := range es {
		e.Close()
	}
	<-done
	q.mu.Lock()
	for _, it := range q.items {
		lost += it.lost + lostIn(it.ind)
	}
	q.items = nil
	q.mu.Unlock()
	o.dropped.Add(lost)
	return lost
}

// keyString reads a string key of a path.
func keyString(p cim.ObjectPath, name string) string {
	for _, k := range p.Keys {
		if strings.EqualFold(k.Name, name) {
			return k.Value.Str()
		}
	}
	return ""
}

// strProp reads a string property of an instance ("" when absent or NULL).
func strProp(inst *cim.Instance, name string) string {
	v, err := inst.Get(name)
	if err != nil || v.IsNull() {
		return ""
	}
	if v.Type().IsArray() {
		return ""
	}
	return v.Str()
}

// subscriptionCall serves the intrinsic methods on the subscription
// classes; handled is false for other classes.
func (c *call) subscriptionCall(method string, ps *params) (handled bool, err error) {
	t := c.s.subs
	if t == nil {
		return false, nil
	}
	switch method {
	case "CreateInstance":
		n := ps.value("NewInstance")
		if n == nil || n.Name != "INSTANCE" {
			return false, nil
		}
		class, _ := n.attr("CLASSNAME")
		kind := subKindOf(class)
		if kind == 0 {
			return false, nil
		}
		obj, err := (&decoder{ns: c.req.ns}).object(n, true)
		if err != nil {
			return true, err
		}
		p, err := t.create(c, kind, obj.(*cim.Instance))
		if err != nil {
			return true, err
		}
		c.returnValue()
		c.enc.instanceName(c.resp.buf, p)
		c.endReturnValue()
		return true, nil
	case "GetInstance", "DeleteInstance":
		v := ps.value("InstanceName")
		if v == nil {
			return false, nil
		}
		class, _ := v.attr("CLASSNAME")
		kind := subKindOf(class)
		if kind == 0 {
			return false, nil
		}
		p, err := ps.instanceName(c.dec, "InstanceName")
		if err != nil {
			return true, err
		}
		if method == "DeleteInstance" {
			return true, t.delete(c, kind, p)
		}
		o, err := t.find(c, kind, p)
		if err != nil {
			return true, err
		}
		c.returnValue()
		c.enc.instance(c.resp.buf, t.shown(o), instOpts{})
		c.endReturnValue()
		return true, nil
	case "EnumerateInstances", "EnumerateInstanceNames":
		class, err := ps.className("ClassName", true)
		if err != nil {
			return false, nil
		}
		kind := subKindOf(class)
		if kind == 0 {
			return false, nil
		}
		var list []namedInstance
		t.mu.Lock()
		for _, o := range t.objs {
			if o.kind == kind && o.owner == c.user && strings.EqualFold(o.path.Namespace, c.req.ns) {
				list = append(list, namedInstance{Instance: t.viewLocked(o), path: o.path})
			}
		}
		t.mu.Unlock()
		c.returnValue()
		for _, o := range list {
			if method == "EnumerateInstanceNames" {
				c.enc.instanceName(c.resp.buf, o.path)
				continue
			}
			c.resp.buf.WriteString("<VALUE.NAMEDINSTANCE>")
			c.enc.instanceName(c.resp.buf, o.path)
			c.enc.instance(c.resp.buf, o.Instance, instOpts{})
			c.resp.buf.WriteString("</VALUE.NAMEDINSTANCE>")
		}
		c.endReturnValue()
		return true, nil
	}
	return false, nil
}

// pathOf is the path of a filter or destination: DSP1054's four keys.
func (c *call) pathOf(class, name string) cim.ObjectPath {
	return cim.ObjectPath{Namespace: c.req.ns, Class: class, Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: cim.String(class)},
		{Name: "Name", Value: cim.String(name)},
		{Name: "SystemCreationClassName", Value: cim.String("CIM_ComputerSystem")},
		{Name: "SystemName", Value: cim.String(c.s.opts.ServerName)},
	}}
}

func missing(class, prop string) error {
	return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: prop, Description: class + " needs the property " + prop}
}

// ensureClasses installs the subscription classes in ns once per server.
func (t *subTable) ensureClasses(s *Server, ns string) error {
	key := strings.ToLower(strings.ReplaceAll(ns, "/", `\`))
	if _, ok := t.classes.Load(key); ok {
		return nil
	}
	if err := s.installClasses(s.base, ns); err != nil {
		return err
	}
	t.classes.Store(key, true)
	return nil
}

// create makes a filter, destination or subscription.
func (t *subTable) create(c *call, kind subKind, inst *cim.Instance) (cim.ObjectPath, error) {
	class := inst.ClassName()
	if err := t.ensureClasses(c.s, c.req.ns); err != nil {
		return cim.ObjectPath{}, err
	}
	o := &subObject{kind: kind, owner: c.user, inst: inst}
	var key string
	switch kind {
	case kindFilter:
		name := strProp(inst, "Name")
		if name == "" {
			return cim.ObjectPath{}, missing(class, "Name")
		}
		o.query, o.lang = strProp(inst, "Query"), strProp(inst, "QueryLanguage")
		if o.query == "" {
			return cim.ObjectPath{}, missing(class, "Query")
		}
		if o.lang == "" {
			o.lang = "WQL"
		}
		if !strings.EqualFold(o.lang, "WQL") {
			return cim.ObjectPath{}, coded(cim.CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED, cim.WBEM_E_INVALID_QUERY_TYPE,
				"query language %q is not supported: this server's filters take WQL", o.lang)
		}
		var err error
		if o.sources, err = sourceNamespaces(inst, c.req.ns); err != nil {
			return cim.ObjectPath{}, err
		}
		o.path = c.pathOf("CIM_IndicationFilter", name)
		key = tableKey(kind, c.user, c.req.ns, name)
	case kindDest:
		name := strProp(inst, "Name")
		if name == "" {
			return cim.ObjectPath{}, missing(class, "Name")
		}
		o.dest = strProp(inst, "Destination")
		if err := c.checkDestination(o.dest); err != nil {
			return cim.ObjectPath{}, err
		}
		o.path = c.pathOf(class, name)
		key = tableKey(kind, c.user, c.req.ns, name)
	case kindSub:
		var refs [2]cim.ObjectPath
		for i, prop := range []string{"Filter", "Handler"} {
			v, err := inst.Get(prop)
			if err != nil || v.IsNull() || v.Type() != cim.TypeReference {
				return cim.ObjectPath{}, missing(class, prop+" (a reference)")
			}
			if refs[i], err = v.Path(); err != nil {
				return cim.ObjectPath{}, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: prop, Description: prop + ": " + cim.AsError(err).Description}
			}
		}
		if refs[0].Class == "" || subKindOf(refs[0].Class) != kindFilter || subKindOf(refs[1].Class) != kindDest {
			return cim.ObjectPath{}, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "Filter",
				Description: "a subscription joins a CIM_IndicationFilter and a CIM_ListenerDestinationCIMXML, not " + refs[0].Class + " and " + refs[1].Class}
		}
		if err := subscriptionPolicies(inst); err != nil {
			return cim.ObjectPath{}, err
		}
		o.disabled = disabledState(inst.Value("SubscriptionState"))
		// The instance tells the state the subscription is in, asked for
		// or not (a client such as wbemcli modifies only the properties
		// the instance has).
		state := uint16(stateEnabled)
		if o.disabled {
			state = stateDisabled
		}
		vals := map[string]cim.Value{"SubscriptionState": cim.Uint16(state)}
		// It began now, in that state: the server's, kept in its record
		// (a restored one keeps its own).
		now := cim.TimeValue(time.Now())
		for _, name := range []string{"SubscriptionStartTime", "TimeOfLastStateChange"} {
			if v, err := inst.Get(name); err != nil || v.IsNull() {
				vals[name] = now
			}
		}
		var err error
		if o.inst, err = withValues(inst, vals); err != nil {
			return cim.ObjectPath{}, err
		}
		o.filter = tableKey(kindFilter, c.user, c.req.ns, keyString(refs[0], "Name"))
		o.handler = tableKey(kindDest, c.user, c.req.ns, keyString(refs[1], "Name"))
		t.mu.Lock()
		f, d := t.objs[o.filter], t.objs[o.handler]
		t.mu.Unlock()
		if f == nil || f.owner != c.user {
			return cim.ObjectPath{}, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "Filter", Description: "no filter " + refs[0].String() + " of yours in " + c.req.ns}
		}
		if d == nil || d.owner != c.user {
			return cim.ObjectPath{}, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "Handler", Description: "no listener destination " + refs[1].String() + " of yours in " + c.req.ns}
		}
		o.path = cim.ObjectPath{Namespace: c.req.ns, Class: "CIM_IndicationSubscription", Keys: []cim.KeyBinding{
			{Name: "Filter", Value: cim.Ref(f.path)}, {Name: "Handler", Value: cim.Ref(d.path)}}}
		key = tableKey(kind, c.user, c.req.ns, o.filter, o.handler)
		o.query, o.lang, o.sources, o.dest = f.query, f.lang, f.sources, d.dest
	}
	t.mu.Lock()
	switch {
	case t.objs[key] != nil:
		t.mu.Unlock()
		return cim.ObjectPath{}, &cim.Error{Status: cim.WBEM_E_ALREADY_EXISTS, Description: class + " " + o.path.String() + " already exists"}
	case t.per[c.user] >= t.opts.MaxPerUser:
		t.mu.Unlock()
		return cim.ObjectPath{}, &cim.Error{Status: cim.WBEM_E_QUOTA_VIOLATION, Description: fmt.Sprintf(
			"user %q holds %d indication filters, destinations and subscriptions, the most allowed", c.user, t.opts.MaxPerUser)}
	}
	t.objs[key] = o // reserved while the subscription starts
	t.per[c.user]++
	t.mu.Unlock()
	undo := func() {
		t.mu.Lock()
		delete(t.objs, key)
		t.per[c.user]--
		t.mu.Unlock()
	}
	if kind == kindSub {
		// A subscription created Disabled runs nothing yet, but its query
		// is tried as an enabled one's would be.
		start := t.start
		if o.disabled {
			start = t.probe
		}
		if err := start(c, o); err != nil {
			undo()
			return cim.ObjectPath{}, err
		}
	}
	// A restored object's record is there already, unless it was kept
	// under another key (an older server's).
	restoredFrom, restoring := c.ctx.Value(restoringKey{}).(string)
	if t.persist && (!restoring || restoredFrom != recordID(key)) {
		caller, _ := identity.FromContext(c.ctx)
		err := t.saveRecord(c.s, o, key, c.req.ns, caller)
		if err == nil && restoring {
			err = t.deleteRecordID(c.s, restoredFrom)
		}
		if err != nil {
			c.s.opts.Logger.Error("CIM-XML indication object not stored", "path", o.path.String(), "err", err)
			undo()
			if kind == kindSub {
				t.stop(o)
			}
			return cim.ObjectPath{}, &cim.Error{Status: cim.WBEM_E_FAILED, Description: "the " + class + " could not be stored: " + cim.AsError(err).Description}
		}
	}
	disabled := o.disabled // nobody else's until ready
	t.mu.Lock()
	o.ready = true
	t.mu.Unlock()
	c.s.opts.Logger.Info("CIM-XML indication object created", "user", c.user, "path", o.path.String(), "destination", t.destination(o), "disabled", disabled)
	return o.path, nil
}

// checkDestination refuses a listener destination's URL that is no http
// or https URL of a listener, or one the caller may not name.
func (c *call) checkDestination(dest string) error {
	u, err := url.Parse(dest)
	if dest == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "Destination",
			Description: fmt.Sprintf("Destination %q is not an http or https URL of a listener", dest)}
	}
	if _, err := listenerPin(u); err != nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "Destination",
			Description: fmt.Sprintf("Destination %q: %v", dest, err)}
	}
	if caller, ok := identity.FromContext(c.ctx); ok && caller != nil && !caller.Admin {
		if why := notOwnListener(caller, u); why != "" {
			c.s.opts.Logger.Info("CIM-XML listener destination refused", "user", c.user, "from", caller.Address, "destination", dest, "why", why)
			return &cim.Error{Status: cim.WBEM_E_ACCESS_DENIED, Parameter: "Destination",
				Description: fmt.Sprintf("user %q may not name the listener %q: %s", c.user, dest, why)}
		}
	}
	return nil
}

// subscriptionPolicies refuses, as CIM_ERR_NOT_SUPPORTED naming the
// property and its value, what a subscription asks for that this server
// does not do: a state other than Enabled or Disabled (stateSupported), a
// fatal-error policy other than
// Ignore (an indication that fails every retry is dropped and the
// subscription goes on), a duration (a subscription lasts until deleted),
// a repeat policy other than None. NULL asks for nothing.
func subscriptionPolicies(inst *cim.Instance) error {
	for _, p := range []struct {
		name string
		ok   func(uint64) bool
		does string
	}{
		{"SubscriptionState", stateSupported, stateSupport},
		{"OnFatalErrorPolicy", func(v uint64) bool { return v == fatalIgnore }, "an indication that fails every retry is dropped and the subscription goes on: Ignore (2)"},
		{"SubscriptionDuration", func(v uint64) bool { return false }, "a subscription here lasts until it is deleted (NULL)"},
		{"RepeatNotificationPolicy", func(v uint64) bool { return v == repeatNone }, "every indication is delivered: None (2)"},
	} {
		v, err := inst.Get(p.name)
		if err != nil || v.IsNull() || v.Type().IsArray() {
			continue
		}
		if n := v.Uint(); !p.ok(n) {
			return &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Parameter: p.name,
				Description: fmt.Sprintf("%s %d is not supported: %s", p.name, n, p.does)}
		}
	}
	return nil
}

// The subscription states a subscription takes (DSP1054's
// SubscriptionState): Enabled delivers, Disabled does not.
const (
	stateEnabled  = 2
	stateDisabled = 4
)

// The one value a subscription or destination takes of these DSP1054
// properties: OnFatalErrorPolicy Ignore, RepeatNotificationPolicy None,
// a destination's Protocol CIM-XML.
const (
	fatalIgnore    = 2
	repeatNone     = 2
	protocolCIMXML = 2
)

// stateSupported reports whether a subscription takes SubscriptionState v.
func stateSupported(v uint64) bool { return v == stateEnabled || v == stateDisabled }

// stateSupport says what states a subscription takes, for a refusal.
const stateSupport = "a subscription here is Enabled (2) or Disabled (4)"

// disabledState reports whether a SubscriptionState value asks for a
// disabled subscription (NULL: enabled).
func disabledState(v cim.Value) bool {
	n, err := v.Convert(cim.TypeUint16)
	return err == nil && !n.IsNull() && n.Uint() == stateDisabled
}

// backlogQueue is a subscription's backlog: at most max indications, the
// oldest dropped past it. Each entry carries the number of indications
// lost just before it, so that the listener hears of them in order (one
// __EventQueueOverflowEvent) without a slot of their own.
type backlogQueue struct {
	mu     sync.Mutex
	items  []backlogItem
	max    int
	closed bool
	wake   chan struct{} // one waiting getter
}

type backlogItem struct {
	ind  *cim.Instance
	lost uint64
}

// put appends ind and reports whether the oldest entry went for it.
func (q *backlogQueue) put(ind *cim.Instance) (dropped bool) {
	q.mu.Lock()
	it := backlogItem{ind: ind}
	if len(q.items) >= q.max {
		h := q.items[0]
		q.items[0] = backlogItem{}
		q.items = q.items[1:]
		carry := h.lost + lostIn(h.ind)
		if len(q.items) > 0 {
			q.items[0].lost += carry
		} else {
			it.lost += carry
		}
		dropped = true
	}
	q.items = append(q.items, it)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return dropped
}

func (q *backlogQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// get takes the oldest entry, waiting for one; false once the queue is
// closed and empty or ctx ends.
func (q *backlogQueue) get(ctx context.Context) (*cim.Instance, uint64, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			it := q.items[0]
			q.items[0] = backlogItem{}
			q.items = q.items[1:]
			q.mu.Unlock()
			return it.ind, it.lost, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil, 0, false
		}
		select {
		case <-q.wake:
		case <-ctx.Done():
			return nil, 0, false
		}
	}
}

// MaxSourceNamespaces caps the namespaces one filter watches (each is one
// event subscription of the object manager); past it CreateInstance is
// CIM_ERR_SERVER_LIMITS_EXCEEDED.
const MaxSourceNamespaces = 16

// sourceNamespaces reads a filter's namespaces: SourceNamespaces (DSP1054;
// several, each watched), else the deprecated SourceNamespace, else the
// filter's own namespace ns.
func sourceNamespaces(inst *cim.Instance, ns string) ([]string, error) {
	var names []string
	if v, err := inst.Get("SourceNamespaces"); err == nil && !v.IsNull() {
		if !v.Type().IsArray() {
			names = append(names, v.Str())
		} else {
			for _, e := range v.Array() {
				if !e.IsNull() {
					names = append(names, e.Str())
				}
			}
		}
	}
	if len(names) == 0 {
		if one := strProp(inst, "SourceNamespace"); one != "" {
			names = []string{one}
		}
	}
	if len(names) == 0 {
		names = []string{ns}
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.Trim(strings.ReplaceAll(strings.TrimSpace(n), "/", `\`), `\`)
		if n == "" {
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "SourceNamespaces", Description: "SourceNamespaces holds an empty namespace name"}
		}
		if !seen[strings.ToLower(n)] {
			seen[strings.ToLower(n)] = true
			out = append(out, n)
		}
	}
	if len(out) > MaxSourceNamespaces {
		return nil, &cim.Error{Status: cim.WBEM_E_QUOTA_VIOLATION, Parameter: "SourceNamespaces",
			Description: fmt.Sprintf("a filter watches at most %d namespaces; SourceNamespaces names %d", MaxSourceNamespaces, len(out))}
	}
	return out, nil
}

// open runs o's event query under the server's context as the caller,
// once in each source namespace (a query any of them refuses fails the
// whole).
func (t *subTable) open(c *call, o *subObject) (context.Context, context.CancelFunc, []*wbem.Enumerator, error) {
	ctx, cancel := context.WithCancel(c.s.base)
	if caller, ok := identity.FromContext(c.ctx); ok {
		ctx = identity.NewContext(ctx, caller)
	}
	var es []*wbem.Enumerator
	for _, ns := range o.sources {
		e, err := wbem.NewServices(c.s.backend, ns).ExecNotificationQuery(ctx, o.lang, o.query, semisync)
		if err != nil {
			for _, e := range es {
				e.Close()
			}
			cancel()
			if len(o.sources) > 1 {
				e := *cim.AsError(err)
				e.Description = "in source namespace " + ns + ": " + e.Description
				return nil, nil, nil, &e
			}
			return nil, nil, nil, err
		}
		es = append(es, e)
	}
	return ctx, cancel, es, nil
}

// probe tries o's event query, as start would run it, and ends it at
// once: a subscription created Disabled is refused what an enabled one
// would be.
func (t *subTable) probe(c *call, o *subObject) error {
	_, cancel, es, err := t.open(c, o)
	if err != nil {
		return err
	}
	for _, e := range es {
		e.Close()
	}
	cancel()
	return nil
}

// start subscribes: the event queries run (open), and their events merge
// into one bounded backlog, which one goroutine fills and another exports.
func (t *subTable) start(c *call, o *subObject) error {
	ctx, cancel, es, err := t.open(c, o)
	if err != nil {
		return err
	}
	// The notice of lost indications: __EventQueueOverflowEvent, as the
	// object manager tells what its own queue lost.
	overflow, _ := getClass(ctx, wbem.NewServices(c.s.backend, o.sources[0]), "__EventQueueOverflowEvent")
	q := &backlogQueue{max: t.opts.Backlog, wake: make(chan struct{}, 1)}
	done := make(chan struct{})
	t.mu.Lock()
	o.cancel, o.e, o.q, o.done = cancel, es, q, done
	t.mu.Unlock()
	log := c.s.opts.Logger.With("subscription", o.path.String())
	var readers sync.WaitGroup
	for _, e := range es {
		readers.Add(1)
		go func() { // a namespace's reader
			defer readers.Done()
			buf := make([]cim.Object, 1) // Next waits for a full batch: one at a time, each at once
			for {
				n, err := e.NextContext(ctx, time.Minute, buf)
				for _, obj := range buf[:n] {
					if ind, ok := obj.(*cim.Instance); ok && q.put(ind) {
						if o.dropped.Add(1) == 1 {
							log.Warn("indication backlog full: dropping the oldest", "backlog", t.opts.Backlog)
						}
					}
				}
				if err != nil && err != wbem.ErrTimedOut {
					if ctx.Err() == nil {
						log.Warn("indication subscription ended", "err", err)
					}
					return
				}
			}
		}()
	}
	go func() {
		readers.Wait()
		q.close()
	}()
	go func() { // sender
		defer close(done)
		// The retries are WS-Eventing push's (internal/push), but an
		// indication that fails them all is dropped and the subscription
		// goes on, as DSP1054's DeliveryRetryAttempts says.
		export := push.SenderFunc(func(ctx context.Context, m push.Message) error {
			dest := t.destination(o)
			err := t.opts.Exporter.ExportIndication(ctx, dest, m.Events[0].(*cim.Instance))
			if err != nil {
				err = fmt.Errorf("to %s: %w", dest, err)
			}
			return err
		})
		retries := t.opts.RetryAttempts
		if retries == 0 {
			retries = -1 // push's "none"
		}
		for {
			ind, lost, ok := q.get(ctx)
			if !ok {
				return
			}
			if lost > 0 && overflow != nil {
				// What the backlog lost just before ind is told first.
				ev := overflow.NewInstance()
				ev.Set("NumberOfEvents", cim.Uint32(uint32(min(lost, 1<<32-1))))
				if err := push.Send(ctx, export, push.Message{Events: []cim.Object{ev}}, push.Options{Retries: retries, RetryInterval: t.opts.RetryInterval}); err != nil && !errors.Is(err, push.ErrAbandoned) {
					log.Warn("the notice of lost indications was not delivered", "lost", lost, "err", err)
				}
			}
			// Send says which: the listener took it (nil, also when ctx
			// ended just after), or it was abandoned as ctx ended
			// (disabled, deleted, closed), or every try failed.
			err := push.Send(ctx, export, push.Message{Events: []cim.Object{ind}}, push.Options{Retries: retries, RetryInterval: t.opts.RetryInterval})
			switch {
			case errors.Is(err, push.ErrAbandoned):
				o.dropped.Add(1)
				return
			case err != nil:
				o.dropped.Add(1)
				log.Warn("indication dropped: the listener failed every try", "tries", t.opts.RetryAttempts+1, "err", err)
			default:
				o.delivered.Add(1)
				if ctx.Err() != nil {
					return // disabled, deleted, closed: the backlog is not sent
				}
			}
		}
	}()
	return nil
}

// find returns the caller's object at p.
func (t *subTable) find(c *call, kind subKind, p cim.ObjectPath) (*subObject, error) {
	var key string
	switch kind {
	case kindSub:
		var names [2]string
		for i, k := range []string{"Filter", "Handler"} {
			for _, kb := range p.Keys {
				if strings.EqualFold(kb.Name, k) {
					if rp, err := kb.Value.Path(); err == nil {
						names[i] = keyString(rp, "Name")
					}
				}
			}
		}
		key = tableKey(kind, c.user, c.req.ns, tableKey(kindFilter, c.user, c.req.ns, names[0]), tableKey(kindDest, c.user, c.req.ns, names[1]))
	default:
		key = tableKey(kind, c.user, c.req.ns, keyString(p, "Name"))
	}
	t.mu.Lock()
	o := t.objs[key]
	starting := o != nil && !o.ready
	t.mu.Unlock()
	if o == nil || o.owner != c.user || starting {
		return nil, &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Description: "no " + p.Class + " " + p.String()}
	}
	return o, nil
}

// delete removes the caller's object at p; a filter or destination that a
// subscription uses stays (CIM_ERR_FAILED).
func (t *subTable) delete(c *call, kind subKind, p cim.ObjectPath) error {
	o, err := t.find(c, kind, p)
	if err != nil {
		return err
	}
	t.mu.Lock()
	var key string
	for k, v := range t.objs {
		if v == o {
			key = k
		}
		if v.kind == kindSub && (t.objs[v.filter] == o || t.objs[v.handler] == o) {
			t.mu.Unlock()
			return &cim.Error{Status: cim.WBEM_E_FAILED, Description: p.String() + " is used by the subscription " + v.path.String() + "; delete that first"}
		}
	}
	if key == "" {
		t.mu.Unlock()
		return &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Description: "no " + p.Class + " " + p.String()}
	}
	if t.persist {
		// The record goes first: one left behind would come back at the
		// next start. (The table's lock orders deletes and creates.)
		if err := t.deleteRecord(c.s, key); err != nil {
			t.mu.Unlock()
			c.s.opts.Logger.Error("CIM-XML indication record not deleted", "path", o.path.String(), "err", err)
			return &cim.Error{Status: cim.WBEM_E_FAILED, Description: "the record of " + p.String() + " could not be deleted: " + cim.AsError(err).Description}
		}
	}
	delete(t.objs, key)
	t.per[o.owner]--
	t.mu.Unlock()
	if o.kind == kindSub {
		o.run.Lock() // an enable under way has started, and stops
		t.stop(o)
		o.run.Unlock()
		t.delivered.Add(o.delivered.Load())
		t.dropped.Add(o.dropped.Load())
	}
	c.s.opts.Logger.Info("CIM-XML indication object deleted", "user", c.user, "path", o.path.String())
	return nil
}

// setState enables or disables the caller's subscription o
// (SubscriptionState 2 or 4), as its owner asked with ModifyInstance,
// SetProperty or an update: a disable ends the event queries, and what
// the backlog still held is dropped (counted); events while disabled are
// not seen at all; an enable runs the queries again as the caller, as a
// creation does (a query refused now leaves the subscription disabled).
// The instance shows the new state and TimeOfLastStateChange, and its
// record is stored again.
func (t *subTable) setState(c *call, o *subObject, enable bool) error {
	o.run.Lock()
	defer o.run.Unlock()
	t.mu.Lock()
	key := t.keyLocked(o)
	was, old := !o.disabled, o.inst
	t.mu.Unlock()
	if key == "" {
		return &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Description: "no " + o.path.Class + " " + o.path.String()}
	}
	if was == enable {
		return nil
	}
	state := uint16(stateDisabled)
	if enable {
		state = stateEnabled
	}
	inst, err := withValues(old, map[string]cim.Value{
		"SubscriptionState":     cim.Uint16(state),
		"TimeOfLastStateChange": cim.DatetimeValue(cim.DatetimeFromTime(time.Now())),
	})
	if err != nil {
		return err
	}
	caller, _ := identity.FromContext(c.ctx)
	if t.persist {
		if err := t.saveRecord(c.s, &subObject{kind: o.kind, owner: o.owner, inst: inst}, key, o.path.Namespace, caller); err != nil {
			c.s.opts.Logger.Error("CIM-XML indication subscription state not stored", "path", o.path.String(), "err", err)
			return &cim.Error{Status: cim.WBEM_E_FAILED, Description: "the state of " + o.path.String() + " could not be stored: " + cim.AsError(err).Description}
		}
	}
	var lost uint64
	if enable {
		if err := t.start(c, o); err != nil {
			if t.persist {
				if err := t.saveRecord(c.s, &subObject{kind: o.kind, owner: o.owner, inst: old}, key, o.path.Namespace, caller); err != nil {
					c.s.opts.Logger.Error("CIM-XML indication subscription state not stored back", "path", o.path.String(), "err", err)
				}
			}
			return err
		}
	} else {
		lost = t.stop(o)
	}
	t.mu.Lock()
	o.inst, o.disabled = inst, !enable
	t.mu.Unlock()
	c.s.opts.Logger.Info("CIM-XML indication subscription "+map[bool]string{true: "enabled", false: "disabled"}[enable],
		"user", c.user, "path", o.path.String(), "undelivered_dropped", lost)
	return nil
}

// destination returns where o (a destination or subscription) sends now.
func (t *subTable) destination(o *subObject) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return o.dest
}

// setDestination gives the caller's listener destination o a new
// Destination (checked as a creation's), for it and the subscriptions
// that use it: their next export goes there (one under way finishes
// where it was going; the backlog stays). Its record is stored again.
func (t *subTable) setDestination(c *call, o *subObject, dest string) error {
	if err := c.checkDestination(dest); err != nil {
		return err
	}
	old := t.current(o)
	inst, err := withValues(old, map[string]cim.Value{"Destination": cim.String(dest)})
	if err != nil {
		return err
	}
	// The table's lock orders this with deletes and creates (and another
	// change of o), as delete's record goes under it.
	t.mu.Lock()
	defer t.mu.Unlock()
	key := t.keyLocked(o)
	if key == "" || o.inst != old {
		return &cim.Error{Status: cim.WBEM_E_FAILED, Description: o.path.String() + " was changed or deleted meanwhile; read it again"}
	}
	if t.persist {
		caller, _ := identity.FromContext(c.ctx)
		if err := t.saveRecord(c.s, &subObject{kind: o.kind, owner: o.owner, inst: inst}, key, o.path.Namespace, caller); err != nil {
			c.s.opts.Logger.Error("CIM-XML listener destination not stored", "path", o.path.String(), "err", err)
			return &cim.Error{Status: cim.WBEM_E_FAILED, Description: "the new Destination of " + o.path.String() + " could not be stored: " + cim.AsError(err).Description}
		}
	}
	was := o.dest
	o.inst, o.dest = inst, dest
	for _, v := range t.objs {
		if v.kind == kindSub && v.handler == key {
			v.dest = dest
		}
	}
	c.s.opts.Logger.Info("CIM-XML listener destination changed", "user", c.user, "path", o.path.String(), "from", was, "to", dest)
	return nil
}

// keyLocked returns o's key in the table ("" when it is not there). The
// caller holds t.mu.
func (t *subTable) keyLocked(o *subObject) string {
	for k, v := range t.objs {
		if v == o {
			return k
		}
	}
	return ""
}

// withValues returns a copy of inst with the properties of vals set,
// those it lacks added (of their value's type): an instance as created
// holds the properties its creator sent only.
func withValues(inst *cim.Instance, vals map[string]cim.Value) (*cim.Instance, error) {
	cl := inst.Class()
	decl := &cim.Class{Name: cl.Name}
	for _, p := range cl.Properties {
		p.Origin = ""
		decl.Properties = append(decl.Properties, p)
	}
	names := make([]string, 0, len(vals))
	for name := range vals {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if cl.PropertyIndex(name) < 0 {
			decl.Properties = append(decl.Properties, cim.Property{Name: name, Type: vals[name].Type()})
		}
	}
	nc, err := cim.Derive(nil, decl)
	if err != nil {
		return nil, err
	}
	out := nc.NewInstance()
	for i := range cl.Properties {
		out.SetAt(i, inst.At(i))
	}
	for _, name := range names {
		if err := out.Set(name, vals[name]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
