package wsman

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"golang.org/x/crypto/bcrypt"
)

// Users is a set of users with bcrypt-hashed passwords, as kept in a users
// file: one "name:$2a$…" line per user; blank lines and lines starting with
// # are ignored. A Users value is safe for concurrent use.
//
// Checking a password with bcrypt costs tens of milliseconds by design, and
// HTTP Basic sends the password with every request; so a successful check
// is remembered (as a SHA-256 of the password, in memory only) for
// CredentialCacheTTL, and later requests with the same password cost a hash.
type Users struct {
	mu     sync.RWMutex
	hashes map[string][]byte
	cost   int

	cacheMu sync.Mutex
	cache   map[string]cachedCred
}

type cachedCred struct {
	sum     [32]byte
	expires time.Time
}

// CredentialCacheTTL is how long a verified password is remembered.
const CredentialCacheTTL = 5 * time.Minute

// maxNameLen bounds user names in the users file and in requests.
const maxNameLen = 256

// NewUsers returns an empty set of users.
func NewUsers() *Users {
	return &Users{hashes: map[string][]byte{}, cost: bcrypt.DefaultCost, cache: map[string]cachedCred{}}
}

// LoadUsers reads a users file. A malformed line gives an error naming it.
func LoadUsers(path string) (*Users, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: path, Description: "users file: " + err.Error(), Err: err}
	}
	u := NewUsers()
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		name, hash, ok := strings.Cut(s, ":")
		if !ok || name == "" || len(name) > maxNameLen {
			return nil, cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "users file %s:%d: expected name:bcrypt-hash", path, line)
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "users file %s:%d: the hash of %s is not a bcrypt hash: %v", path, line, name, err)
		}
		u.hashes[name] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "users file %s: %v", path, err)
	}
	return u, nil
}

// SetCost sets the bcrypt cost of passwords added later (tests use
// bcrypt.MinCost to stay fast).
func (u *Users) SetCost(cost int) { u.cost = cost }

// Add adds a user or replaces a user's password.
func (u *Users) Add(name, password string) error {
	if name == "" || len(name) > maxNameLen || strings.ContainsAny(name, ":\r\n") {
		return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "user name %q: must be 1 to %d characters without ':' or line breaks", name, maxNameLen)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), u.cost)
	if err != nil {
		return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "password of %s: %v", name, err)
	}
	u.mu.Lock()
	u.hashes[name] = h
	u.mu.Unlock()
	u.cacheMu.Lock()
	delete(u.cache, name)
	u.cacheMu.Unlock()
	return nil
}

// Save writes the users file with mode 0600, replacing path atomically.
func (u *Users) Save(path string) error {
	u.mu.RLock()
	names := make([]string, 0, len(u.hashes))
	for n := range u.hashes {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		fmt.Fprintf(&b, "%s:%s\n", n, u.hashes[n])
	}
	u.mu.RUnlock()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
		return cim.Errorf(cim.WBEM_E_FAILED, "users file: %v", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return cim.Errorf(cim.WBEM_E_FAILED, "users file: %v", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return cim.Errorf(cim.WBEM_E_FAILED, "users file: %v", err)
	}
	return nil
}

// dummyHash equalizes the time of a check for an unknown user with that of a
// wrong password, so that timing does not tell which users exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("gowbem-no-such-user"), bcrypt.DefaultCost)

// Check reports whether password is the password of name.
func (u *Users) Check(name, password string) bool {
	sum := sha256.Sum256([]byte(password))
	now := time.Now()
	u.cacheMu.Lock()
	c, ok := u.cache[name]
	u.cacheMu.Unlock()
	if ok && now.Before(c.expires) && subtle.ConstantTimeCompare(c.sum[:], sum[:]) == 1 {
		return true
	}
	u.mu.RLock()
	h, known := u.hashes[name]
	u.mu.RUnlock()
	if !known {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	if bcrypt.CompareHashAndPassword(h, []byte(password)) != nil {
		return false
	}
	u.cacheMu.Lock()
	if len(u.cache) > 4096 {
		clear(u.cache)
	}
	u.cache[name] = cachedCred{sum: sum, expires: now.Add(CredentialCacheTTL)}
	u.cacheMu.Unlock()
	return true
}
