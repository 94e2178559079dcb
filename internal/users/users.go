// Package users is wbemd's users file: the users who may log in, their
// bcrypt-hashed passwords, their groups and the Linux accounts they act as.
//
// The file holds one user a line,
//
//	name:bcrypt-hash:group,group:unix-account
//
// where the last two fields may be empty; a hash of "*" means no password
// (the user logs in with a client certificate only). Blank lines and lines
// starting with # are ignored. A line of two fields (name:hash), as written
// before groups existed, is a user without groups, except the user "admin"
// that wbemd's first start created, which is in the Administrators group.
//
// File serves the users to the daemon's authenticator and notices at once
// when the file changes (every check looks at its size, times and inode);
// Edit changes it under a lock, atomically, whether or not a daemon runs.
package users

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/identity"
	"golang.org/x/crypto/bcrypt"
)

// Limits of the users file.
const (
	// MaxNameLength bounds a user name.
	MaxNameLength = auth.MaxNameLength
	// MaxFileSize bounds the users file.
	MaxFileSize = 16 << 20
	// NoPassword is the hash field of a user who cannot log in with a
	// password.
	NoPassword = "*"
	// LegacyAdmin is the user a two-field line makes an administrator.
	LegacyAdmin = "admin"
)

// User is one line of the users file.
type User struct {
	Name    string
	Hash    string // bcrypt, or NoPassword
	Groups  []string
	Account string // the Linux account the user acts as; "" for none
}

// Admin reports whether the user is in the Administrators group.
func (u *User) Admin() bool {
	return slices.ContainsFunc(u.Groups, func(g string) bool { return strings.EqualFold(g, identity.AdministratorsGroup) })
}

// CheckName reports whether name can be a user's name: 1 to MaxNameLength
// characters without ':', ',' or control characters.
func CheckName(name string) error {
	if name == "" || len(name) > MaxNameLength || strings.ContainsAny(name, ":,") || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return fmt.Errorf("name %q: must be 1 to %d characters without ':', ',' or control characters", name, MaxNameLength)
	}
	return nil
}

// List is the content of a users file, in its order.
type List struct {
	Users []*User
}

// Parse reads a users file's content; path names it in errors.
func Parse(data []byte, path string) (*List, error) {
	l := &List{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxFileSize)
	for n := 1; sc.Scan(); n++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		u, err := parseLine(s)
		if err != nil {
			return nil, fmt.Errorf("users file %s:%d: %w", path, n, err)
		}
		if seen[u.Name] {
			return nil, fmt.Errorf("users file %s:%d: user %s appears twice", path, n, u.Name)
		}
		seen[u.Name] = true
		l.Users = append(l.Users, u)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("users file %s: %w", path, err)
	}
	return l, nil
}

func parseLine(s string) (*User, error) {
	f := strings.Split(s, ":")
	if len(f) < 2 || len(f) > 4 {
		return nil, errors.New("expected name:bcrypt-hash[:groups[:unix-account]]")
	}
	u := &User{Name: f[0], Hash: f[1]}
	if err := CheckName(u.Name); err != nil {
		return nil, err
	}
	if u.Hash != NoPassword {
		if _, err := bcrypt.Cost([]byte(u.Hash)); err != nil {
			return nil, fmt.Errorf("the hash of %s is not a bcrypt hash: %v", u.Name, err)
		}
	}
	if len(f) == 2 && u.Name == LegacyAdmin {
		u.Groups = []string{identity.AdministratorsGroup}
	}
	if len(f) >= 3 && f[2] != "" {
		for _, g := range strings.Split(f[2], ",") {
			if err := CheckName(g); err != nil {
				return nil, fmt.Errorf("group of %s: %v", u.Name, err)
			}
			u.Groups = append(u.Groups, g)
		}
	}
	if len(f) == 4 {
		u.Account = f[3]
		if u.Account != "" {
			if err := CheckName(u.Account); err != nil {
				return nil, fmt.Errorf("unix account of %s: %v", u.Name, err)
			}
		}
	}
	return u, nil
}

// Bytes writes the list in the file's format.
func (l *List) Bytes() []byte {
	var b bytes.Buffer
	for _, u := range l.Users {
		fmt.Fprintf(&b, "%s:%s:%s:%s\n", u.Name, u.Hash, strings.Join(u.Groups, ","), u.Account)
	}
	return b.Bytes()
}

// Find returns the user called name.
func (l *List) Find(name string) *User {
	for _, u := range l.Users {
		if u.Name == name {
			return u
		}
	}
	return nil
}

// Hash returns the bcrypt hash of password at cost (bcrypt.DefaultCost when
// 0).
func Hash(password string, cost int) (string, error) {
	if password == "" {
		return "", errors.New("the password is empty")
	}
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	return string(h), nil
}

// Add adds u; the name must be new.
func (l *List) Add(u *User) error {
	if err := CheckName(u.Name); err != nil {
		return err
	}
	for _, g := range u.Groups {
		if err := CheckName(g); err != nil {
			return fmt.Errorf("group: %v", err)
		}
	}
	if u.Account != "" {
		if err := CheckName(u.Account); err != nil {
			return fmt.Errorf("unix account: %v", err)
		}
	}
	if l.Find(u.Name) != nil {
		return fmt.Errorf("user %s exists", u.Name)
	}
	l.Users = append(l.Users, u)
	return nil
}

// Delete removes the user called name and reports whether there was one.
func (l *List) Delete(name string) bool {
	n := len(l.Users)
	l.Users = slices.DeleteFunc(l.Users, func(u *User) bool { return u.Name == name })
	return len(l.Users) != n
}

// Read reads a users file.
func Read(path string) (*List, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readLimited(f, path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

func readLimited(f *os.File, path string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("users file %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("users file %s: larger than %d bytes", path, MaxFileSize)
	}
	return data, nil
}

// Write replaces the users file with the list, atomically, mode 0600.
func (l *List) Write(path string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	_, err = f.Write(l.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600) // whatever the umask did
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("users file: %w", err)
	}
	return nil
}

// Edit changes the users file at path under an exclusive lock (path.lock),
// so that two editors do not lose each other's changes: it reads the file
// (an absent one is empty), calls fn, and writes the result back when fn
// returns nil.
func Edit(path string, fn func(*List) error) error {
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("users file lock: %w", err)
	}
	defer lock.Close()
	unlock, err := lockFile(lock)
	if err != nil {
		return fmt.Errorf("users file lock: %w", err)
	}
	defer unlock()
	l, err := Read(path)
	if errors.Is(err, fs.ErrNotExist) {
		l, err = &List{}, nil
	}
	if err != nil {
		return err
	}
	if err := fn(l); err != nil {
		return err
	}
	return l.Write(path)
}

// File is a users file served to an authenticator: it implements
// auth.PasswordChecker and auth.Generationer, and reloads the file whenever
// it has changed on disk (checked at every login) or Reload is called. It
// is safe for concurrent use.
type File struct {
	path string
	log  *slog.Logger

	mu     sync.RWMutex
	users  map[string]*User
	stamp  stamp
	gen    atomic.Uint64
	lookup func(string) (*identity.Account, error)
}

// stamp tells whether a file changed: a rename gives a new inode, an edit
// in place a new size or time.
type stamp struct {
	ino, size    int64
	mtime, ctime int64 // nanoseconds
	missing      bool
}

// Open reads the users file at path (it must exist); log receives reloads
// and their failures.
func Open(path string, log *slog.Logger) (*File, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &File{path: path, log: log, lookup: identity.LookupAccount}
	st, err := statFile(path)
	if err != nil {
		return nil, err
	}
	l, err := Read(path)
	if err != nil {
		return nil, err
	}
	f.install(l, st)
	return f, nil
}

// Path returns the file's path.
func (f *File) Path() string { return f.path }

func (f *File) install(l *List, st stamp) {
	m := make(map[string]*User, len(l.Users))
	for _, u := range l.Users {
		m[u.Name] = u
	}
	f.mu.Lock()
	f.users, f.stamp = m, st
	f.mu.Unlock()
	f.gen.Add(1)
}

// Generation implements auth.Generationer: it reloads the file when it
// changed and returns a number that changes with every reload.
func (f *File) Generation() uint64 {
	f.refresh(false)
	return f.gen.Load()
}

// Reload reads the file again, whether or not it seems changed (SIGHUP).
func (f *File) Reload() error { return f.refresh(true) }

func (f *File) refresh(force bool) error {
	st, err := statFile(f.path)
	if err != nil {
		f.log.Error("users file: cannot stat it; keeping the users loaded", "path", f.path, "err", err)
		return err
	}
	f.mu.RLock()
	same := st == f.stamp
	f.mu.RUnlock()
	if same && !force {
		return nil
	}
	if st.missing {
		f.install(&List{}, st)
		f.log.Warn("users file removed: nobody can log in with a password", "path", f.path)
		return nil
	}
	l, err := Read(f.path)
	if err != nil {
		// Keep the users loaded (an editor may be half-way), but do not
		// try again until the file changes again.
		f.mu.Lock()
		f.stamp = st
		f.mu.Unlock()
		f.log.Error("users file: cannot read it; keeping the users loaded", "path", f.path, "err", err)
		return err
	}
	f.install(l, st)
	f.log.Info("users file reloaded", "path", f.path, "users", len(l.Users))
	return nil
}

// dummyHash makes a check for an unknown user cost what a wrong password
// costs, so that timing does not tell which users exist. It is made on the
// first such check, not when the program starts.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("gowbem-no-such-user"), bcrypt.DefaultCost)
	return h
})

// CheckPassword implements auth.PasswordChecker with bcrypt.
func (f *File) CheckPassword(ctx context.Context, name, password string) (*identity.Caller, error) {
	f.refresh(false)
	f.mu.RLock()
	u := f.users[name]
	f.mu.RUnlock()
	if u == nil || u.Hash == NoPassword {
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return nil, auth.ErrBadCredentials
	}
	if bcrypt.CompareHashAndPassword([]byte(u.Hash), []byte(password)) != nil {
		return nil, auth.ErrBadCredentials
	}
	return f.caller(u), nil
}

// Lookup returns the caller the user called name is, without a password
// (for a verified client certificate), and false when there is no such
// user.
func (f *File) Lookup(name string) (*identity.Caller, bool) {
	f.refresh(false)
	f.mu.RLock()
	u := f.users[name]
	f.mu.RUnlock()
	if u == nil {
		return nil, false
	}
	return f.caller(u), true
}

// caller makes the identity of u: its groups, its Linux account (resolved
// now, with the account's groups), and whether it is an administrator.
func (f *File) caller(u *User) *identity.Caller {
	c := &identity.Caller{Name: u.Name, Groups: slices.Clone(u.Groups), Admin: u.Admin()}
	if u.Account != "" {
		a, err := f.lookup(u.Account)
		if err != nil {
			f.log.Warn("users file: the unix account of a user does not resolve; the user acts as no account", "user", u.Name, "account", u.Account, "err", err)
		} else {
			c.Account = a
			c.Groups = append(c.Groups, a.GroupNames()...)
			c.Admin = c.Admin || a.UID == 0
		}
	}
	return c
}

// Users returns the users loaded, sorted by name.
func (f *File) Users() []*User {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]*User, 0, len(f.users))
	for _, u := range f.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *User) int { return strings.Compare(a.Name, b.Name) })
	return out
}
