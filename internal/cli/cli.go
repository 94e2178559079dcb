// Package cli is the wbem command: WBEM operations on an object manager,
// in-process over a state directory's repository or remote over
// WS-Management or CIM-XML, with their results printed as they arrive.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/statedir"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/wbem"
)

// Exit codes of Run.
const (
	ExitOK          = 0   // the command succeeded
	ExitFailed      = 1   // the operation failed; its WBEM status is on stderr
	ExitUsage       = 2   // the command line is wrong
	ExitUnreachable = 3   // no object manager: the store is held by another process, or the daemon cannot be reached (WBEM_E_TRANSPORT_FAILURE)
	ExitInterrupted = 130 // SIGINT or SIGTERM (ctx cancelled) stopped the command
)

// defaultNamespace is the namespace commands work in without -n:
// cim.DefaultNamespace written with slashes, which need no quoting in a shell.
var defaultNamespace = strings.ReplaceAll(cim.DefaultNamespace, `\`, "/")

// DefaultHost is the daemon's address that error messages suggest.
const DefaultHost = "http://127.0.0.1:5985/wsman"

// Env is what a run of the command gets from its process.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	// Terminal says stderr is a terminal: long enumerations then show a
	// live count there.
	Terminal bool
	// Local opens the in-process object manager of a state directory
	// (commands without --host); package internal/cli/inproc's OpenStateDir
	// is the one over a repository. Nil: such commands fail with
	// ExitUnreachable (a program that links only the protocols).
	Local LocalFunc
}

// ObjectManager is an in-process object manager, as the commands use it
// (*cimom.ObjectManager is one).
type ObjectManager interface {
	// Services returns the services of a namespace.
	Services(namespace string, opts ...wbem.Option) *wbem.Services
	// Apply applies a compiled MOF in one transaction, creating the
	// namespaces it names.
	Apply(ctx context.Context, plan *mof.Plan) error
}

// LocalFunc opens an in-process object manager for the state directory dir;
// closing the returned io.Closer releases it. With readOnly (the commands
// that only read) it neither creates the directory nor its repository, and
// writes only when the installed classes are out of date. An error made by
// WithHint carries its hint to the user.
type LocalFunc func(ctx context.Context, dir string, readOnly bool) (ObjectManager, io.Closer, error)

// WithHint returns err with a hint that wbem prints on a line of its own
// after the error: what the user can do about it.
func WithHint(err error, hint string) error { return &hintError{err: err, hint: hint} }

// options are the global flags, accepted before or after the command.
type options struct {
	stateDir     string
	namespace    string
	output       string
	host         string
	user         string
	passwordFile string
	caCert       string
	insecure     bool
}

func (o *options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.stateDir, "state-dir", statedir.Default(), "the state `directory` whose repository in-process commands use")
	fs.StringVar(&o.namespace, "namespace", defaultNamespace, "the `namespace` to work in")
	fs.StringVar(&o.namespace, "n", defaultNamespace, "short for --namespace")
	fs.StringVar(&o.output, "output", "", "output `format`: "+strings.Join(formats, ", ")+" (default table for lists, list for single objects)")
	fs.StringVar(&o.output, "o", "", "short for --output")
	fs.StringVar(&o.host, "host", "", "the daemon's `URL`, e.g. "+DefaultHost+" or http://127.0.0.1:5988/cimom for CIM-XML (default: in-process over --state-dir)")
	fs.StringVar(&o.user, "user", "", "user `name` for --host (default admin when --password-file is given)")
	fs.StringVar(&o.passwordFile, "password-file", "", "`file` holding the password for --host")
	fs.StringVar(&o.caCert, "ca-cert", "", "PEM `file` of certificates to trust for an https --host")
	fs.BoolVar(&o.insecure, "insecure", false, "do not verify an https --host's certificate")
}

// command is one subcommand.
type command struct {
	name     string
	args     string // synopsis of the positional arguments
	help     string
	long     string // what wbem help COMMAND adds
	min, max int    // positional argument count; max < 0: any
	format   string // default output format
	flags    func(fs *flag.FlagSet, f *cmdFlags)
	run      func(r *runner, ctx context.Context, args []string) error // nil for completion (see commands)
	// read: the command only reads (in-process, the repository is opened
	// read-only and must exist).
	read bool
}

// cmdFlags are the flags of single commands.
type cmdFlags struct {
	check   bool   // mofcomp --check
	class   bool   // delete --class
	shallow bool   // classes, enum, namespaces --shallow
	create  bool   // put --create
	update  bool   // put --update
	props   string // enum -p
	where   string // enum -w, watch --where
	// mofcomp's update modes, WMI mofcomp's switches.
	classCreateOnly, classUpdateOnly, classSafeUpdate, classForceUpdate bool
	instCreateOnly, instUpdateOnly                                      bool

	created, deleted, modified bool          // watch: the instance events of a class
	within                     time.Duration // watch --within
	count                      int           // watch --count
	timeout                    time.Duration // watch --timeout
}

// pathHelp is the object path syntax, for wbem help.
const pathHelp = `PATH is an object path as WMI writes it:
  Class.Key=value              one key: GW_Item.Id=1, Win32_Service.Name="sshd"
  Class.K1="a",K2=2            several keys; strings in double quotes, \" and \\ inside
  Class=value                  the class's only key, unnamed
  Class=@                      a singleton
  Class                        the class itself (call: a static method)
  \\server\root\ns:Class.K=1    with a server and a namespace (it must be -n's)
In a shell, quote the whole path: wbem get 'Win32_Service.Name="sshd"'.
The json and jsonl outputs carry each instance's __PATH, ready for get, call
and delete.`

// commands are wbem's commands, in the order help lists them. A table the
// compiler lays out in the executable (no init function builds it at every
// start): so completion, which reads it, is called by Run by name rather
// than through its run field.
var commands = []*command{
	{name: "query", args: "WQL", help: "run a WQL query", min: 1, max: 1, format: FormatTable, run: (*runner).query, read: true,
		long: "WQL: SELECT props|* FROM Class [WHERE expr], ASSOCIATORS OF {PATH}, REFERENCES OF {PATH},\n" +
			"SELECT * FROM meta_class. System properties (__PATH, __CLASS, …) print when selected."},
	{name: "enum", args: "CLASS", help: "list the instances of a class and its subclasses", min: 1, max: 1, format: FormatTable,
		long: "-p a,b prints only those properties and -w EXPR keeps the instances a WQL WHERE\n" +
			"expression selects (as Get-CimInstance -Property and -Filter): the enumeration\n" +
			"becomes SELECT a, b FROM CLASS WHERE EXPR.",
		flags: func(fs *flag.FlagSet, f *cmdFlags) {
			fs.BoolVar(&f.shallow, "shallow", false, "leave out the instances of subclasses")
			fs.StringVar(&f.props, "property", "", "only these `properties` (comma-separated)")
			fs.StringVar(&f.props, "p", "", "short for --property")
			fs.StringVar(&f.where, "where", "", "only the instances that the WQL `expression` selects")
			fs.StringVar(&f.where, "w", "", "short for --where")
		}, run: (*runner).enum, read: true},
	{name: "get", args: "PATH", help: "print one instance (a class prints as MOF)", min: 1, max: 1, format: FormatList, run: (*runner).get, read: true,
		long: pathHelp},
	{name: "call", args: "PATH METHOD [Name=Value…]", help: "call a method; prints its out-parameters, ReturnValue included", min: 2, max: -1, format: FormatList, run: (*runner).call,
		long: "The exit code is 1 when ReturnValue is not 0; stderr then says what the value means\n" +
			"(the method's ValueMap and Values qualifiers).\n" + pathHelp},
	{name: "classes", args: "[CLASS]", help: "list every class, or the subclasses of CLASS", min: 0, max: 1, format: FormatTable,
		flags: func(fs *flag.FlagSet, f *cmdFlags) {
			fs.BoolVar(&f.shallow, "shallow", false, "only the top-level classes, or the direct subclasses of CLASS")
		}, run: (*runner).classes, read: true},
	{name: "class", args: "CLASS", help: "print a class (MOF; -o json, or a row per property)", min: 1, max: 1, format: FormatMOF, run: (*runner).class, read: true},
	{name: "put", args: "CLASS Name=Value…", help: "create or update an instance; prints its path (MOF instances: mofcomp)", min: 1, max: -1,
		long: "Without a flag the instance is created, or replaced whole (properties not named\n" +
			"become NULL or their default). --update changes only the named properties of the\n" +
			"instance the keys name. Values: numbers, true/false, datetimes and references as\n" +
			"text, arrays as a,b,c or {a,b,c}; an empty value is NULL for any type but string.",
		flags: func(fs *flag.FlagSet, f *cmdFlags) {
			fs.BoolVar(&f.create, "create", false, "fail if the instance exists")
			fs.BoolVar(&f.update, "update", false, "change only the named properties of an existing instance")
		}, run: (*runner).put},
	{name: "delete", args: "PATH", help: "delete an instance (a class with --class)", min: 1, max: 1, long: pathHelp,
		flags: func(fs *flag.FlagSet, f *cmdFlags) {
			fs.BoolVar(&f.class, "class", false, "PATH is a class: delete it with its subclasses and instances")
		}, run: (*runner).delete},
	{name: "watch", args: "QUERY | --created… CLASS", help: "print events as they come (an event query, or --created/--deleted/--modified CLASS)", min: 1, max: 1, format: FormatTable,
		flags: func(fs *flag.FlagSet, f *cmdFlags) {
			fs.BoolVar(&f.created, "created", false, "watch the instances of CLASS being created")
			fs.BoolVar(&f.deleted, "deleted", false, "watch the instances of CLASS being deleted")
			fs.BoolVar(&f.modified, "modified", false, "watch the instances of CLASS being modified (shows what changed)")
			fs.DurationVar(&f.within, "within", 0, "poll a provider's CLASS this often (default: 1s when it must be polled)")
			fs.StringVar(&f.where, "where", "", "only the instances for which this WQL condition holds (on CLASS's properties)")
			fs.IntVar(&f.count, "count", 0, "stop after this many events")
			fs.DurationVar(&f.timeout, "timeout", 0, "stop after this long")
		}, run: (*runner).watch},
	{name: "mofcomp", args: "FILE…", help: "compile MOF files into the repository (-n: the default namespace)", min: 1, max: -1,
		long: "Namespaces a #pragma namespace names are created. In-process a file is applied in\n" +
			"one transaction; remotely item by item, and a failure or an interruption says how\n" +
			"many items were applied. The update modes are WMI mofcomp's switches; a\n" +
			"#pragma classflags or instanceflags in the file takes precedence.",
		flags: func(fs *flag.FlagSet, f *cmdFlags) {
			fs.BoolVar(&f.check, "check", false, "only check the files against the classes there; change nothing")
			fs.BoolVar(&f.classCreateOnly, "class:createonly", false, "fail for a class that exists")
			fs.BoolVar(&f.classUpdateOnly, "class:updateonly", false, "fail for a class that does not exist")
			fs.BoolVar(&f.classSafeUpdate, "class:safeupdate", false, "update classes with subclasses or instances when no data is lost")
			fs.BoolVar(&f.classForceUpdate, "class:forceupdate", false, "update classes with subclasses or instances, whatever conflicts")
			fs.BoolVar(&f.instCreateOnly, "instance:createonly", false, "fail for an instance that exists")
			fs.BoolVar(&f.instUpdateOnly, "instance:updateonly", false, "fail for an instance that does not exist")
		}, run: (*runner).mofcomp},
	securityCommand(),
	{name: "namespaces", args: "[NS] | create NS | delete NS", help: "list the namespaces under NS (default root), create or delete one", min: 0, max: 2, format: FormatTable,
		long: "A namespace is an instance of __NAMESPACE in its parent: create makes the missing\n" +
			"parents too; delete removes the namespace with everything in it.",
		flags: func(fs *flag.FlagSet, f *cmdFlags) {
			fs.BoolVar(&f.shallow, "shallow", false, "only the namespaces directly under NS")
		}, run: (*runner).namespaces},
	{name: "completion", args: "bash|zsh|fish", help: "print a shell completion script", min: 1, max: 1,
		long: "bash: source <(wbem completion bash)\n" +
			"zsh:  wbem completion zsh > \"${fpath[1]}/_wbem\"\n" +
			"fish: wbem completion fish > ~/.config/fish/completions/wbem.fish"},
}

func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("usage: wbem [flags] COMMAND [ARGS] [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-10s %-28s %s\n", c.name, c.args, c.help)
	}
	b.WriteString("\nflags:\n")
	io.WriteString(w, b.String())
	fs := flag.NewFlagSet("wbem", flag.ContinueOnError)
	var o options
	o.register(fs)
	fs.SetOutput(w)
	fs.PrintDefaults()
	io.WriteString(w, "  -version\n    \tprint the version and exit\n")
	io.WriteString(w, "\nwbem help COMMAND tells more of a command (object paths: wbem help get).\n"+
		"\nexit codes: 0 ok, 1 the operation failed (its WBEM status on stderr; call: ReturnValue not 0),\n"+
		"2 usage, 3 no object manager (store held by another process, daemon unreachable), 130 interrupted\n")
}

// Run runs the wbem command with args (without the program name) and returns
// its exit code. Results go to env.Stdout as they arrive; errors go to
// env.Stderr as "wbem: STATUS (0xNUMBER): description".
func Run(ctx context.Context, args []string, env Env) int {
	var o options
	var f cmdFlags
	global := flag.NewFlagSet("wbem", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	o.register(global)
	var version bool
	global.BoolVar(&version, "version", false, "print the version and exit")
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(env.Stdout)
			return ExitOK
		}
		return fail(env, usageErrorf("%v", err))
	}
	rest := global.Args()
	if version {
		fmt.Fprintln(env.Stdout, "wbem", Version())
		return ExitOK
	}
	if len(rest) == 0 {
		usage(env.Stderr)
		return ExitUsage
	}
	if rest[0] == "help" {
		if len(rest) > 1 {
			c := findCommand(rest[1])
			if c == nil {
				return fail(env, usageErrorf("unknown command %q (try wbem help)", rest[1]))
			}
			commandHelp(env.Stdout, c)
			return ExitOK
		}
		usage(env.Stdout)
		return ExitOK
	}
	cmd := findCommand(rest[0])
	if cmd == nil {
		return fail(env, usageErrorf("unknown command %q (try wbem help)", rest[0]))
	}
	fs := flag.NewFlagSet("wbem "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// The global flags again, so that they may follow the command.
	// Registering resets the fields to their defaults: keep what the first
	// parse found.
	saved := o
	o.register(fs)
	o = saved
	if cmd.flags != nil {
		cmd.flags(fs, &f)
	}
	pos, err := parseInterspersed(fs, rest[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			commandHelp(env.Stdout, cmd)
			return ExitOK
		}
		return fail(env, usageErrorf("%s: %v", cmd.name, err))
	}
	if len(pos) < cmd.min || cmd.max >= 0 && len(pos) > cmd.max {
		return fail(env, usageErrorf("usage: wbem %s %s (wbem help %s)", cmd.name, cmd.args, cmd.name))
	}
	explicit := o.output != ""
	if o.output == "" {
		o.output = cmd.format
	}
	if o.output == "" {
		o.output = FormatList
	}
	if _, err := newRowWriter(o.output, io.Discard); err != nil {
		return fail(env, err)
	}
	r := &runner{env: env, opts: o, flags: f, read: cmd.read || cmd.name == "mofcomp" && f.check, explicitOutput: explicit}
	if cmd.name == "completion" {
		return fail(env, r.completion(ctx, pos))
	}
	if o.host == "" && env.Local == nil {
		return fail(env, noLocal())
	}
	conn, err := r.connect(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return interrupted(env)
		}
		return fail(env, err)
	}
	r.conn = conn
	err = cmd.run(r, ctx, pos)
	if err != nil && conn.om == nil {
		err = r.remoteHint(err)
	}
	if cerr := conn.close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil && ctx.Err() != nil {
		return interrupted(env)
	}
	return fail(env, err)
}

// interrupted reports a command that SIGINT or SIGTERM (ctx) stopped.
func interrupted(env Env) int {
	fmt.Fprintln(env.Stderr, "wbem: interrupted")
	return ExitInterrupted
}

// noLocal is the failure of a command that needs the in-process object
// manager in a program without one (Env.Local nil).
func noLocal() error {
	return &unreachableError{err: &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED,
		Description: "this program has no in-process object manager"}, hint: "pass --host URL to reach a daemon"}
}

// commandHelp prints wbem help COMMAND: the synopsis, what it does, its
// flags and the global ones.
func commandHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "usage: wbem [flags] %s %s\n%s\n", c.name, c.args, c.help)
	if c.long != "" {
		fmt.Fprintf(w, "\n%s\n", c.long)
	}
	if c.flags != nil {
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		var f cmdFlags
		c.flags(fs, &f)
		io.WriteString(w, "\nflags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	io.WriteString(w, "\nThe global flags (wbem help) go before or after the command.\n")
}

// Version returns wbem's version: the module version it was built as (go
// install …@v1.2.3), else the VCS revision, else "devel".
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return "devel " + rev
}

// parseInterspersed parses flags wherever they appear among the positional
// arguments; "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// fail prints err, if any, and returns the exit code it stands for.
func fail(env Env, err error) int {
	if err == nil {
		return ExitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(env.Stderr, "wbem:", ue.msg)
		return ExitUsage
	}
	var unr *unreachableError
	var hinted *hintError
	code := ExitFailed
	hint := ""
	if errors.As(err, &unr) {
		code = ExitUnreachable
		err, hint = unr.err, unr.hint
	} else if errors.As(err, &hinted) {
		err, hint = hinted.err, hinted.hint
	}
	fmt.Fprintln(env.Stderr, "wbem:", err.Error())
	if hint != "" {
		fmt.Fprintln(env.Stderr, "wbem:", hint)
	}
	return code
}

// unreachableError is a failure to reach the object manager (exit code
// ExitUnreachable), with a hint for the user.
type unreachableError struct {
	err  error
	hint string
}

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// IsTerminal reports whether f is a terminal (a character device), for
// Env.Terminal.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
