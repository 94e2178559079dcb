package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

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
// returns its exit code. Logs go to stderr as structured text; install is
// Config.Install.
func Main(ctx context.Context, args []string, stderr io.Writer, install func(context.Context, *cimom.ObjectManager) error) int {
	cfg, level, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "wbemd:", err)
		return ExitUsage
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg.Install = install
	if err := Run(ctx, cfg); err != nil {
		cfg.Logger.Error("wbemd failed", "err", err)
		return ExitFailed
	}
	return ExitOK
}

func parseFlags(args []string, stderr io.Writer) (Config, slog.Level, error) {
	var cfg Config
	var level slog.Level
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
	fs.TextVar(&level, "log-level", slog.LevelInfo, "log `level`: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return cfg, level, err
	}
	if fs.NArg() > 0 {
		return cfg, level, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return cfg, level, errors.New("--tls-cert and --tls-key go together")
	}
	if cfg.TLSCert != "" && !set["https"] {
		cfg.HTTPSAddr = DefaultHTTPSAddr
	}
	if cfg.TLSCert != "" && !set["cimxml-https"] {
		cfg.CIMXMLSAddr = DefaultCIMXMLSAddr
	}
	if cfg.HTTPSAddr != "" && cfg.TLSCert == "" {
		return cfg, level, errors.New("--https needs --tls-cert and --tls-key")
	}
	if cfg.CIMXMLSAddr != "" && cfg.TLSCert == "" {
		return cfg, level, errors.New("--cimxml-https needs --tls-cert and --tls-key")
	}
	return cfg, level, nil
}
