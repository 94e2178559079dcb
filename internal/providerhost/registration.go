package providerhost

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wql"
)

// The registration classes, WMI's: a __Win32Provider instance names the
// provider, how it is started and hosted; __InstanceProviderRegistration and
// __MethodProviderRegistration instances, whose Provider refers to it, say
// what it does.
const (
	ProviderClass         = "__Win32Provider"
	InstanceRegClass      = "__InstanceProviderRegistration"
	MethodRegClass        = "__MethodProviderRegistration"
	EventRegClass         = "__EventProviderRegistration"
	providerRegBaseClass  = "__ProviderRegistration"
	maxCommandLineLength  = 4096
	maxCommandLineArgs    = 256
	maxRegistrationString = 1024
)

// MaxEventQueries bounds the queries of an EventQueryList; a registration
// with more is refused (WBEM_E_INVALID_PARAMETER).
const MaxEventQueries = 256

// HostingModel is where a provider runs (__Win32Provider.HostingModel).
type HostingModel string

// The hosting models. WMI's names are accepted too: NetworkServiceHost,
// LocalServiceHost and LocalSystemHost are SharedHost (LocalSystemHost as
// root unless User says otherwise), WmiCoreOrSelfHost is SelfHost,
// Decoupled:Com is Decoupled.
const (
	// InProcess is a Go provider linked into the daemon (registered in Go
	// with cimom's RegisterProvider): fastest, and a crash of it is the
	// daemon's.
	InProcess HostingModel = "WmiCore"
	// SelfHost is a process of the provider's own: the default, because a
	// crash, a hang or a leak then harms no other provider, and a Go process
	// costs a few MiB and starts in milliseconds.
	SelfHost HostingModel = "SelfHost"
	// SharedHost is one process for every registration with the same command
	// line and account (the executable serves them by name, see
	// plugin.ServeProviders): fewer processes, shared fate.
	SharedHost HostingModel = "SharedHost"
	// Decoupled is a running application that registers itself over the
	// daemon's provider socket for as long as it runs.
	Decoupled HostingModel = "Decoupled"
)

// Registration is a provider's registration, read from the repository.
type Registration struct {
	Namespace string
	Name      string
	Command   []string     // the executable and its arguments
	Hosting   HostingModel // SelfHost when not given
	User      string       // the account to run as; "" the default
	Timeout   time.Duration
	Idle      time.Duration
	Limits    Limits

	Instances bool // __InstanceProviderRegistration
	Query     bool // its QuerySupportLevels are not empty: hints are pushed down
	// Associations: its QuerySupportLevels include WMI's "WQL:References"
	// or "WQL:Associators": the provider answers references queries itself
	// (provider.AssociationProvider); otherwise the object manager
	// enumerates its association classes and filters.
	Associations bool
	Put          bool
	Delete       bool
	Methods      bool // __MethodProviderRegistration
	Events       bool // __EventProviderRegistration
	// InstanceEvents are the classes whose intrinsic instance events the
	// provider raises (its EventQueryList's queries of
	// __InstanceOperationEvent and its subclasses, WHERE TargetInstance ISA
	// 'Class'): those of their subclasses too. The daemon does not poll them.
	InstanceEvents []string
}

// errorf returns a WBEM error naming the provider.
func (r *Registration) errorf(st cim.Status, format string, args ...any) error {
	return &cim.Error{Status: st, Provider: r.Name, Parameter: r.Name, Description: fmt.Sprintf(format, args...)}
}

// timeout returns the per-call timeout.
func (r *Registration) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return DefaultTimeout
}

// Equal reports whether two registrations start and serve the same way.
func (r *Registration) Equal(o *Registration) bool {
	if r == nil || o == nil {
		return r == o
	}
	return reflect.DeepEqual(r, o)
}

// ParseRegistration reads a __Win32Provider instance of namespace ns and the
// capability registrations (instances of __ProviderRegistration's
// subclasses) that refer to it.
func ParseRegistration(ns string, prov *cim.Instance, caps []*cim.Instance) (*Registration, error) {
	name := prov.Value("Name").Str()
	reg := &Registration{Namespace: ns, Name: name}
	bad := func(prop, format string, args ...any) error {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: ProviderClass + "." + prop, Provider: name,
			Description: fmt.Sprintf("the registration of provider %q: %s: ", name, prop) + fmt.Sprintf(format, args...)}
	}
	switch hm := prov.Value("HostingModel").Str(); {
	case hm == "" || cim.EqualFold(hm, string(SelfHost)) || cim.EqualFold(hm, "WmiCoreOrSelfHost"):
		reg.Hosting = SelfHost
	case cim.EqualFold(hm, string(SharedHost)) || cim.EqualFold(hm, "NetworkServiceHost") || cim.EqualFold(hm, "LocalServiceHost"):
		reg.Hosting = SharedHost
	case cim.EqualFold(hm, "LocalSystemHost"):
		reg.Hosting = SharedHost
		reg.User = "root"
	case cim.EqualFold(hm, string(Decoupled)) || cim.EqualFold(hm, "Decoupled:Com"):
		reg.Hosting = Decoupled
	case cim.EqualFold(hm, string(InProcess)):
		reg.Hosting = InProcess
	default:
		return nil, bad("HostingModel", "%q is none of SelfHost, SharedHost, Decoupled, WmiCore", hm)
	}
	if u := prov.Value("User").Str(); u != "" {
		if len(u) > 255 || strings.ContainsAny(u, ":/\x00\n") {
			return nil, bad("User", "%q is not an account name", u)
		}
		reg.User = u
	}
	cl := prov.Value("CommandLine").Str()
	if len(cl) > maxCommandLineLength {
		return nil, bad("CommandLine", "longer than %d bytes", maxCommandLineLength)
	}
	args, err := splitCommandLine(cl)
	if err != nil {
		return nil, bad("CommandLine", "%v", err)
	}
	reg.Command = args
	switch reg.Hosting {
	case SelfHost, SharedHost:
		if len(args) == 0 {
			if prov.Value("CLSID").Str() != "" {
				return nil, bad("CommandLine", "empty: gowbem starts an executable, not a COM class (CLSID)")
			}
			return nil, bad("CommandLine", "empty: it names the provider's executable")
		}
		if !strings.HasPrefix(args[0], "/") {
			return nil, bad("CommandLine", "%q is not an absolute path", args[0])
		}
	}
	if reg.Timeout, err = interval(prov, "OperationTimeoutInterval"); err != nil {
		return nil, bad("OperationTimeoutInterval", "%v", err)
	}
	if reg.Idle, err = interval(prov, "UnloadTimeout"); err != nil {
		return nil, bad("UnloadTimeout", "%v", err)
	}
	reg.Limits.Memory = prov.Value("MemoryLimit").Uint()
	reg.Limits.OpenFiles = prov.Value("OpenFilesLimit").Uint()
	if reg.Limits.OpenFiles > math.MaxInt32 {
		return nil, bad("OpenFilesLimit", "%d is too many", reg.Limits.OpenFiles)
	}
	for _, c := range caps {
		switch {
		case c.Class().IsA(InstanceRegClass):
			reg.Instances = true
			reg.Put = c.Value("SupportsPut").Bool()
			reg.Delete = c.Value("SupportsDelete").Bool()
			levels := c.Value("QuerySupportLevels").Array()
			reg.Query = len(levels) > 0
			for _, l := range levels {
				if cim.EqualFold(l.Str(), "WQL:References") || cim.EqualFold(l.Str(), "WQL:Associators") {
					reg.Associations = true
				}
			}
		case c.Class().IsA(MethodRegClass):
			reg.Methods = true
		case c.Class().IsA(EventRegClass):
			reg.Events = true
			if err := reg.eventQueries(c.Value("EventQueryList").Array()); err != nil {
				return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: EventRegClass + ".EventQueryList", Provider: name,
					Description: fmt.Sprintf("the registration of provider %q: EventQueryList: %v", name, err), Err: err}
			}
		}
	}
	return reg, nil
}

// eventQueries reads an EventQueryList: the queries of intrinsic instance
// events name the classes the provider raises them for; the others (its
// extrinsic event classes, which name it themselves) are only checked.
func (r *Registration) eventQueries(list []cim.Value) error {
	if len(list) > MaxEventQueries {
		return fmt.Errorf("%d queries, more than %d", len(list), MaxEventQueries)
	}
	for _, v := range list {
		text := v.Str()
		q, err := wql.Parse(text)
		if err != nil {
			return fmt.Errorf("%q: %w", text, err)
		}
		sel, ok := q.(*wql.SelectQuery)
		if !ok {
			return fmt.Errorf("%q is not an event query (SELECT * FROM EventClass …)", text)
		}
		if !wql.IsIntrinsicEvent(sel.Class) {
			continue
		}
		target := sel.TargetClass()
		if target == "" {
			return fmt.Errorf("%q names no class: intrinsic events are registered with WHERE TargetInstance ISA 'Class'", text)
		}
		if !slices.ContainsFunc(r.InstanceEvents, func(c string) bool { return cim.EqualFold(c, target) }) {
			r.InstanceEvents = append(r.InstanceEvents, target)
		}
	}
	return nil
}

// raisesInstanceEvents reports whether the provider raises the intrinsic
// events of class's instances.
func (r *Registration) raisesInstanceEvents(class *cim.Class) bool {
	if !r.Events {
		return false
	}
	for _, t := range r.InstanceEvents {
		if class.IsA(t) {
			return true
		}
	}
	return false
}

// interval reads a datetime interval property; 0 when NULL.
func interval(inst *cim.Instance, name string) (time.Duration, error) {
	v := inst.Value(name)
	if v.IsNull() {
		return 0, nil
	}
	d, err := v.Datetime()
	if err != nil {
		return 0, err
	}
	return d.Duration()
}

// splitCommandLine splits a command line at spaces; double quotes group,
// and a backslash escapes the next character. No shell is involved.
func splitCommandLine(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	in, quoted, escaped := false, false, false
	for _, r := range s {
		switch {
		case r == 0 || r == '\n' || r == '\r':
			// Checked first: an escape does not make a NUL or a line
			// break part of an argument (exec cannot pass a NUL).
			return nil, fmt.Errorf("a control character")
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped, in = true, true
		case r == '"':
			quoted, in = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quoted || escaped {
		return nil, fmt.Errorf("an unterminated quote or escape")
	}
	if in {
		args = append(args, cur.String())
	}
	if len(args) > maxCommandLineArgs {
		return nil, fmt.Errorf("more than %d arguments", maxCommandLineArgs)
	}
	return args, nil
}
