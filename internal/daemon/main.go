package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/gowbem/gowbem/auth/pam"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/providerhost"
	"github.com/gowbem/gowbem/repository"
)

// Exit codes of Main.
const (
	ExitOK     = 0 // clean shutdown
	ExitFailed = 1 // the daemon could not start or failed while serving
	ExitUsage  = 2 // the command line is wrong
)

// Main runs wbemd with args (without the program name) until ctx ends and
// returns its exit code. Logs go to stderr as structured text (or JSON,
// --log-format) and, with --log-file, as JSON lines to that file too;
// install is Config.Install. SIGHUP reads the users file again.
func Main(ctx context.Context, args []string, stderr io.Writer, install func(context.Context, *cimom.ObjectManager) error) int {
	cfg, ls, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "wbemd:", err)
		return ExitUsage
	}
	log, closeLog, err := ls.logger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "wbemd:", err)
		return ExitFailed
	}
	defer closeLog()
	cfg.Logger = log
	cfg.Install = install
	// SIGHUP reloads the users file (its default action would end the
	// daemon without a word).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{}, 1)
	cfg.Reload = reload
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				select {
				case reload <- struct{}{}:
				default:
				}
			}
		}
	}()
	if err := Run(ctx, cfg); err != nil {
		cfg.Logger.Error("wbemd failed", "err", err)
		return ExitFailed
	}
	return ExitOK
}

// logSetup is how Main logs.
type logSetup struct {
	level  slog.Level
	format string // text or json, on stderr
	file   string // JSON lines appended here too; "" none
}

// logger returns the daemon's logger and what closes its file.
func (ls logSetup) logger(stderr io.Writer) (*slog.Logger, func(), error) {
	opts := &slog.HandlerOptions{Level: ls.level}
	var h slog.Handler = slog.NewTextHandler(stderr, opts)
	if ls.format == "json" {
		h = slog.NewJSONHandler(stderr, opts)
	}
	if ls.file == "" {
		return slog.New(h), func() {}, nil
	}
	f, err := os.OpenFile(ls.file, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("--log-file: %w", err)
	}
	return slog.New(slog.NewMultiHandler(h, slog.NewJSONHandler(f, opts))), func() { f.Close() }, nil
}

func parseFlags(args []string, stderr io.Writer) (Config, logSetup, error) {
	var cfg Config
	var ls logSetup
	fs := flag.NewFlagSet("wbemd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.StateDir, "state-dir", repository.DefaultStateDir(), "the state `directory`: repository, users file, admin password")
	fs.StringVar(&cfg.HTTPAddr, "http", DefaultHTTPAddr, "serve WS-Management over HTTP on `address` (\"\" turns it off)")
	fs.StringVar(&cfg.HTTPSAddr, "https", "", "serve WS-Management over HTTPS on `address` (default "+DefaultHTTPSAddr+" when --tls-cert is given)")
	fs.StringVar(&cfg.CIMXMLAddr, "cimxml", DefaultCIMXMLAddr, "serve CIM-XML over HTTP on `address` (\"\" turns it off)")
	fs.StringVar(&cfg.CIMXMLSAddr, "cimxml-https", "", "serve CIM-XML over HTTPS on `address` (default "+DefaultCIMXMLSAddr+" when --tls-cert is given)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate chain `file` for HTTPS")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key `file` for HTTPS")
	fs.StringVar(&cfg.UsersFile, "users", "", "the users `file` of name:bcrypt-hash lines (default <state-dir>/users)")
	fs.StringVar(&cfg.ProviderUser, "provider-user", providerhost.DefaultUser, "the `account` out-of-process providers run as when wbemd runs as root and their registration names none")
	fs.StringVar(&cfg.ProviderSocket, "provider-socket", "", "the Unix socket `path` running applications connect to as decoupled providers (default <state-dir>/provider.sock; \"none\" turns it off)")
	fs.StringVar(&cfg.ProviderGroup, "provider-group", "", "members of `group` may register decoupled providers whose registration names no account (the socket becomes 0660, that group)")
	fs.StringVar(&cfg.ClientCA, "client-ca", "", "PEM `file` of the CAs whose client certificates log in over HTTPS as the user their subject's CN names")
	fs.StringVar(&cfg.PAMService, "pam", "", "also log Linux accounts in with their passwords through PAM `service` (e.g. wbemd; needs a build with -tags pam)")
	fs.Func("pam-admin-group", "members of Linux `group` logging in through PAM are administrators (repeatable)", func(g string) error {
		cfg.PAMAdminGroups = append(cfg.PAMAdminGroups, g)
		return nil
	})
	fs.DurationVar(&cfg.ReadTimeout, "read-timeout", DefaultReadTimeout, "cut off a request whose body has not arrived within `duration`")
	fs.DurationVar(&cfg.OperationTimeout, "operation-timeout", DefaultOperationTimeout, "bound every operation but enumerations by `duration`")
	fs.IntVar(&cfg.MaxConnections, "max-connections", DefaultMaxConnections, "open connections a listener keeps at most (`n`)")
	fs.IntVar(&cfg.MaxConnectionsPerAddress, "max-connections-per-address", DefaultMaxConnectionsPerAddress, "open connections of one remote address at most (`n`)")
	fs.TextVar(&ls.level, "log-level", slog.LevelInfo, "log `level`: debug, info, warn or error")
	fs.StringVar(&ls.format, "log-format", "text", "log `format` on stderr: text or json")
	fs.StringVar(&ls.file, "log-file", "", "also log to `file`, as JSON lines (appended, mode 0600)")
	if err := fs.Parse(args); err != nil {
		return cfg, ls, err
	}
	if fs.NArg() > 0 {
		return cfg, ls, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return cfg, ls, errors.New("--tls-cert and --tls-key go together")
	}
	if cfg.TLSCert != "" && !set["https"] {
		cfg.HTTPSAddr = DefaultHTTPSAddr
	}
	if cfg.TLSCert != "" && !set["cimxml-https"] {
		cfg.CIMXMLSAddr = DefaultCIMXMLSAddr
	}
	if cfg.HTTPSAddr != "" && cfg.TLSCert == "" {
		return cfg, ls, errors.New("--https needs --tls-cert and --tls-key")
	}
	if cfg.CIMXMLSAddr != "" && cfg.TLSCert == "" {
		return cfg, ls, errors.New("--cimxml-https needs --tls-cert and --tls-key")
	}
	if cfg.PAMService != "" && !pam.Available {
		return cfg, ls, fmt.Errorf("--pam: %v", pam.ErrNotBuilt)
	}
	if len(cfg.PAMAdminGroups) > 0 && cfg.PAMService == "" {
		return cfg, ls, errors.New("--pam-admin-group needs --pam")
	}
	if ls.format != "text" && ls.format != "json" {
		return cfg, ls, fmt.Errorf("--log-format %q: text or json", ls.format)
	}
	if cfg.OperationTimeout <= 0 || cfg.ReadTimeout <= 0 || cfg.MaxConnections <= 0 || cfg.MaxConnectionsPerAddress <= 0 {
		return cfg, ls, errors.New("--operation-timeout, --read-timeout, --max-connections and --max-connections-per-address must be positive")
	}
	return cfg, ls, nil
}
