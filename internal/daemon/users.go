package daemon

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/gowbem/gowbem/internal/users"
	"github.com/gowbem/gowbem/repository"
	"golang.org/x/crypto/bcrypt"
)

const usersUsage = `usage: wbemd users [--state-dir DIR] [--users FILE] COMMAND

Commands (they edit the users file whether or not wbemd runs; a running
wbemd notices the change at once):
  add NAME (--password-file FILE | --no-password) [--group G]... [--unix-account U]
  passwd NAME --password-file FILE
  del NAME
  list

--password-file - reads the password from standard input (its first line).
A user in the group Administrators is an administrator; --unix-account names
the Linux account the user acts as on the host. A user added with
--no-password logs in with a client certificate only.
`

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// UsersMain runs "wbemd users ARGS…" and returns its exit code.
func UsersMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := usersCommand(args, stdin, stdout, stderr)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "wbemd users:", err)
		fmt.Fprint(stderr, usersUsage)
		return ExitUsage
	default:
		fmt.Fprintln(stderr, "wbemd users:", err)
		return ExitFailed
	}
}

var errUsage = errors.New("usage")

func usageErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, a...))
}

func usersCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var stateDir, path, pwFile, account string
	var groups stringList
	var noPassword bool
	cost := bcrypt.DefaultCost
	fs := flag.NewFlagSet("wbemd users", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usersUsage) }
	fs.StringVar(&stateDir, "state-dir", repository.DefaultStateDir(), "the state `directory`")
	fs.StringVar(&path, "users", "", "the users `file` (default <state-dir>/users)")
	fs.StringVar(&pwFile, "password-file", "", "read the password from `file` (- for standard input)")
	fs.BoolVar(&noPassword, "no-password", false, "the user logs in with a client certificate only")
	fs.Var(&groups, "group", "add the user to `group` (repeatable)")
	fs.StringVar(&account, "unix-account", "", "the Linux `account` the user acts as")
	fs.IntVar(&cost, "bcrypt-cost", bcrypt.DefaultCost, "bcrypt's `cost` (tests use 4)")
	// Flags may come before and after the command and its name.
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageErr("%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if path == "" {
		path = filepath.Join(stateDir, UsersFile)
	}
	if len(pos) == 0 {
		return usageErr("no command")
	}
	cmd, pos := pos[0], pos[1:]
	needName := func() (string, error) {
		if len(pos) != 1 {
			return "", usageErr("%s takes one user name", cmd)
		}
		return pos[0], users.CheckName(pos[0])
	}
	password := func() (string, error) {
		if pwFile == "" {
			return "", usageErr("%s needs --password-file", cmd)
		}
		return readPassword(pwFile, stdin)
	}
	switch cmd {
	case "add":
		name, err := needName()
		if err != nil {
			return err
		}
		u := &users.User{Name: name, Hash: users.NoPassword, Groups: groups, Account: account}
		if noPassword == (pwFile != "") {
			return usageErr("add needs either --password-file or --no-password")
		}
		if !noPassword {
			pw, err := password()
			if err != nil {
				return err
			}
			if u.Hash, err = users.Hash(pw, cost); err != nil {
				return err
			}
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		return users.Edit(path, func(l *users.List) error { return l.Add(u) })
	case "passwd":
		name, err := needName()
		if err != nil {
			return err
		}
		pw, err := password()
		if err != nil {
			return err
		}
		hash, err := users.Hash(pw, cost)
		if err != nil {
			return err
		}
		return users.Edit(path, func(l *users.List) error {
			u := l.Find(name)
			if u == nil {
				return fmt.Errorf("no user %s in %s", name, path)
			}
			u.Hash = hash
			return nil
		})
	case "del":
		name, err := needName()
		if err != nil {
			return err
		}
		return users.Edit(path, func(l *users.List) error {
			if !l.Delete(name) {
				return fmt.Errorf("no user %s in %s", name, path)
			}
			return nil
		})
	case "list":
		if len(pos) != 0 {
			return usageErr("list takes no argument")
		}
		l, err := users.Read(path)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tGROUPS\tUNIX ACCOUNT\tLOGIN")
		for _, u := range l.Users {
			login := "password"
			if u.Hash == users.NoPassword {
				login = "certificate only"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, strings.Join(u.Groups, ","), u.Account, login)
		}
		return tw.Flush()
	}
	return usageErr("unknown command %q", cmd)
}

// readPassword reads the first line of file ("-": stdin).
func readPassword(file string, stdin io.Reader) (string, error) {
	r := stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("the password is empty")
	}
	return pw, nil
}
