package repository

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/gowbem/gowbem/cim"
)

// FormatVersion is the version of the on-disk layout and record encoding that
// this package reads and writes. A file of another version is refused with
// WBEM_E_DATABASE_VER_MISMATCH.
const FormatVersion = 1

// appendFillPercent is how full bbolt packs the pages of an instance bucket
// when the transaction appends at the end of the key order.
const appendFillPercent = 0.9

// StreamBatch is how many instances Instances reads per read transaction.
const StreamBatch = 256

// initialMmapSize is how much of the file bbolt maps at first: 256 MiB of
// address space on 64-bit systems (a repository of a million instances),
// bbolt's default on others.
const initialMmapSize = (256 << 20) * (strconv.IntSize / 64)

// DefaultLockTimeout is how long OpenBolt waits for the file lock held by
// another process before it gives up.
const DefaultLockTimeout = 100 * time.Millisecond

// Bucket and key names of the file layout (see the package documentation).
var (
	bucketMeta       = []byte("meta")
	bucketNamespaces = []byte("ns")
	keyFormat        = []byte("format")
	keyName          = []byte("name")
	bucketClasses    = []byte("classes")
	bucketSubclasses = []byte("subclasses")
	bucketInstances  = []byte("instances")
	bucketLayouts    = []byte("layouts")
)

// ErrInUse is matched (errors.Is) by the error OpenBolt returns when another
// process holds the repository open.
var ErrInUse = errors.New("repository is in use by another process")

// ErrReadOnly is matched (errors.Is) by the error of a write to a store
// opened with BoltOptions.ReadOnly.
var ErrReadOnly = bolterrors.ErrDatabaseReadOnly

// BoltOptions tunes OpenBolt. The zero value is the default.
type BoltOptions struct {
	// LockTimeout is how long to wait for another process to release the
	// file; DefaultLockTimeout when zero, no wait at all when negative.
	LockTimeout time.Duration
	// ReadOnly opens the file for reading only, sharing it with other
	// read-only openers; every write fails with WBEM_E_ACCESS_DENIED.
	ReadOnly bool
	// NoSeed leaves a new file without the namespace root\cimv2 (root is
	// always created).
	NoSeed bool
	// BatchDelay is the longest a Batch call waits for others to share its
	// commit; DefaultBatchDelay when zero.
	BatchDelay time.Duration
	// BatchSize is the most Batch calls that share one commit;
	// DefaultBatchSize when zero.
	BatchSize int
}

// Batch defaults: bbolt's 10 ms wait makes a lone writer slow for little gain
// on a local disk, where a commit takes well under a millisecond.
const (
	DefaultBatchDelay = 2 * time.Millisecond
	DefaultBatchSize  = 1000
)

// Bolt is a Store in one file, kept with bbolt: ACID transactions, one writer
// and many readers at a time, crash-safe commits. It is safe for concurrent
// use.
//
// # Layout
//
// The file holds two top-level buckets. "meta" records the format version
// (FormatVersion, a uvarint under "format"). "ns" holds one bucket per
// namespace, keyed by the lower-cased full name (`root\cimv2`), so that the
// children of a namespace are a prefix scan. A namespace bucket holds:
//
//	name        the namespace's name as created
//	classes/    lower-cased class name → class record
//	subclasses/ lower(superclass) NUL lower(class) → class name; "" is the
//	            superclass of top-level classes: Subclasses is a prefix scan
//	instances/  one bucket per lower-cased class name: canonical key string
//	            (InstanceKey) → instance record, in byte order
//	layouts/    lower(class) NUL layout hash → layout record
//	qualifiers/ lower-cased qualifier name → qualifier declaration record
//	            (made by the first PutQualifier; absent in older files)
//
// # Encoding
//
// Records are binary, built with encoding/binary varints, and end with a
// CRC-32C of the rest; the first byte names the kind of record. A class record
// holds every field of cim.Class: name, superclass, derivation, server and
// namespace, qualifiers (name, flavor, value), properties (name, type,
// reference class, default, qualifiers, origin) and methods (name, return
// type, parameters with their qualifiers, qualifiers, origin). A value is its
// CIM type followed by its payload: zig-zag varints for signed integers,
// varints for unsigned ones and char16, fixed little-endian IEEE bits for
// reals, one byte for booleans, length-prefixed text for strings, datetimes
// and references; arrays give a count and mark NULL elements. An embedded
// object carries its class inline (and an embedded instance its location and
// values), so it stays readable whatever later happens to a class of that
// name; they nest at most MaxNesting deep.
//
// An instance record holds the hash of its class's layout (the names and
// types of its properties, in order) and then its values by position. A record
// whose layout is that of the class it is read with decodes by position;
// otherwise its stored layout maps values by property name: a property added
// to the class since takes its default, a removed one is dropped, a value
// whose type changed is converted (WBEM_E_TYPE_MISMATCH when it cannot be).
// A record that does not decode is reported as WBEM_E_CRITICAL_ERROR, never
// returned half-read.
//
// # Versions
//
// A file whose format version is not FormatVersion, or that has none, is
// refused by OpenBolt with WBEM_E_DATABASE_VER_MISMATCH and left untouched; a
// file that is not a bbolt file at all gives WBEM_E_CRITICAL_ERROR. A change
// of the layout or of any record's encoding must raise FormatVersion.
//
// # Durability
//
// Update commits with an fsync: when it returns nil the change survives a
// crash or power loss; when it returns an error nothing of it is kept. Batch
// is as durable on return, but shares one commit among concurrent callers
// (waiting up to BoltOptions.BatchDelay for company), which is how many
// goroutines storing one instance each should write. A crash never leaves a
// half-written transaction: bbolt writes new pages before it switches the meta
// page. View sees one snapshot; Instances sees a snapshot per StreamBatch
// instances, as its documentation explains. A full disk gives
// WBEM_E_OUT_OF_DISK_SPACE, a file or directory we may not write
// WBEM_E_ACCESS_DENIED; either way the failed transaction leaves nothing.
//
// # Locking
//
// One process at a time opens the file for writing: OpenBolt takes an
// exclusive flock on the file itself and, when another process holds it,
// fails after BoltOptions.LockTimeout (DefaultLockTimeout) with
// WBEM_E_ACCESS_DENIED matching ErrInUse, naming the file and suggesting that
// a daemon holds it. Read-only openers (BoltOptions.ReadOnly) share a lock
// among themselves. Within the process, bbolt allows one write transaction at
// a time alongside any number of read transactions.
//
// # State directory
//
// A program that does not choose a file keeps its repository as StateFile in
// DefaultStateDir (/var/lib/gowbem for root, otherwise $XDG_DATA_HOME/gowbem
// or ~/.local/share/gowbem), opened with OpenStateDir, which creates the
// directory with mode 0700; the file itself is created with mode 0600.
type Bolt struct {
	db   *bolt.DB
	path string
}

var _ Store = (*Bolt)(nil)

// OpenBolt opens the repository file at path, creating it (mode 0600) with the
// namespaces root and root\cimv2 when it does not exist. It fails with
// WBEM_E_DATABASE_VER_MISMATCH for a file of another format version,
// WBEM_E_ACCESS_DENIED when the file cannot be opened for writing, and an
// error matching ErrInUse when another process has it open.
func OpenBolt(path string, opts BoltOptions) (*Bolt, error) {
	timeout := opts.LockTimeout
	switch {
	case timeout == 0:
		timeout = DefaultLockTimeout
	case timeout < 0:
		timeout = time.Nanosecond // bbolt treats 0 as "wait forever"
	}
	// The hashmap freelist allocates pages in constant time; bbolt's default
	// array scans the free list for each allocation, which a commit of a
	// large transaction over a large file makes quadratic. The file format is
	// the same either way. The initial mapping (address space, not memory)
	// spares a growing file the remaps that copy every key and value of a
	// large transaction out of the old mapping, and lets readers run
	// alongside a writer that grows the file.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: opts.ReadOnly,
		FreelistType: bolt.FreelistMapType, InitialMmapSize: initialMmapSize})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, &cim.Error{Status: cim.WBEM_E_ACCESS_DENIED, Parameter: path,
				Description: fmt.Sprintf("repository %s is in use by another process (it holds the lock on that file); a gowbem daemon may be running", path),
				Err:         fmt.Errorf("%w: %w", ErrInUse, err)}
		}
		return nil, mapErr(err, path, "open")
	}
	db.MaxBatchDelay, db.MaxBatchSize = DefaultBatchDelay, DefaultBatchSize
	if opts.BatchDelay > 0 {
		db.MaxBatchDelay = opts.BatchDelay
	}
	if opts.BatchSize > 0 {
		db.MaxBatchSize = opts.BatchSize
	}
	b := &Bolt{db: db, path: path}
	if err := b.init(opts); err != nil {
		db.Close()
		return nil, err
	}
	return b, nil
}

// init checks the format version of an existing file and lays out a new one.
func (b *Bolt) init(opts BoltOptions) error {
	check := func(tx *bolt.Tx) (fresh bool, err error) {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			if k, _ := tx.Cursor().First(); k != nil {
				return false, cim.Errorf(cim.WBEM_E_DATABASE_VER_MISMATCH, "%s is not a gowbem repository: it has no format version", b.path)
			}
			return true, nil
		}
		v, n := binary.Uvarint(meta.Get(keyFormat))
		if n <= 0 || v != FormatVersion {
			return false, &cim.Error{Status: cim.WBEM_E_DATABASE_VER_MISMATCH, Parameter: b.path,
				Description: fmt.Sprintf("repository %s has format version %d; this program reads version %d", b.path, v, FormatVersion)}
		}
		return false, nil
	}
	var fresh bool
	err := b.db.View(func(tx *bolt.Tx) (err error) { fresh, err = check(tx); return })
	if err != nil || !fresh {
		return err
	}
	if opts.ReadOnly {
		return cim.Errorf(cim.WBEM_E_DATABASE_VER_MISMATCH, "%s is an empty file, not a gowbem repository", b.path)
	}
	return mapErr(b.update(func(tx *bolt.Tx) error {
		if fresh, err := check(tx); err != nil || !fresh {
			return err
		}
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		if err := meta.Put(keyFormat, binary.AppendUvarint(nil, FormatVersion)); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketNamespaces); err != nil {
			return err
		}
		t := &boltTx{tx: tx}
		if err := t.makeNamespace("root"); err != nil {
			return err
		}
		if opts.NoSeed {
			return nil
		}
		return t.CreateNamespace(cim.DefaultNamespace)
	}), b.path, "initialize")
}

// Path returns the file the store lives in.
func (b *Bolt) Path() string { return b.path }

// Close closes the file and releases its lock.
func (b *Bolt) Close() error { return mapErr(b.db.Close(), b.path, "close") }

// View runs fn in a read-only snapshot: it sees every transaction committed
// before it began and none after.
func (b *Bolt) View(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var fnErr error
	err := b.db.View(func(tx *bolt.Tx) error {
		fnErr = fn(&boltTx{tx: tx})
		return fnErr
	})
	if err != nil && err == fnErr {
		return err
	}
	return mapErr(err, b.path, "read")
}

// Update runs fn in one write transaction and commits it with an fsync: when
// Update returns nil the change is durable; when fn fails nothing it did is
// kept.
func (b *Bolt) Update(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.update(func(tx *bolt.Tx) error { return fn(&boltTx{tx: tx}) })
}

// Batch runs fn in a write transaction that may be shared with concurrent
// Batch calls from other goroutines, so that many small writers pay for one
// commit and fsync between them. When Batch returns nil the change is durable.
// fn may run more than once (when another function in the same batch fails,
// the others are retried one by one), so it must have no effect outside the
// transaction.
func (b *Bolt) Batch(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var fnErr error
	err := b.db.Batch(func(tx *bolt.Tx) error {
		fnErr = fn(&boltTx{tx: tx})
		return fnErr
	})
	if err != nil && err == fnErr {
		return err
	}
	return mapErr(err, b.path, "commit")
}

func (b *Bolt) update(fn func(*bolt.Tx) error) error {
	var fnErr error
	err := b.db.Update(func(tx *bolt.Tx) error {
		fnErr = fn(tx)
		return fnErr
	})
	if err != nil && err == fnErr {
		return err
	}
	return mapErr(err, b.path, "commit")
}

// Instances streams the instances of exactly class in ns, in key order. It
// reads StreamBatch records per read transaction and calls fn outside any
// transaction, so a slow consumer holds neither a transaction nor more than one
// batch of instances. Each batch is a consistent snapshot; across batches the
// stream sees every instance that exists from its start to its end exactly
// once, and an instance created, changed or deleted meanwhile either as it was
// or as it became (or not at all, if it was created or deleted).
func (b *Bolt) Instances(ctx context.Context, ns string, class *cim.Class, fn func(*cim.Instance) error) error {
	var after []byte
	var dec *instanceDecoder
	batch := make([]*cim.Instance, 0, StreamBatch)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch = batch[:0]
		done := false
		err := b.db.View(func(tx *bolt.Tx) error {
			t := &boltTx{tx: tx}
			nsb, err := t.ns(ns)
			if err != nil {
				return err
			}
			// The decoder's layout cache outlives the transaction; layouts
			// are immutable once written.
			if dec == nil {
				dec = t.decoder(nsb, class)
			} else {
				dec.layout = t.layoutFunc(nsb, class.Name)
			}
			ib := instBucket(nsb, class.Name)
			if ib == nil {
				done = true
				return nil
			}
			c := ib.Cursor()
			var k, v []byte
			if after == nil {
				k, v = c.First()
			} else {
				k, v = c.Seek(after)
				if k != nil && bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(batch) < StreamBatch; k, v = c.Next() {
				inst, err := dec.decode(v)
				if err != nil {
					return err
				}
				batch = append(batch, inst)
				after = append(after[:0], k...)
			}
			done = k == nil
			return nil
		})
		if err != nil {
			return mapErr(err, b.path, "read")
		}
		for i, inst := range batch {
			if err := ctx.Err(); err != nil {
				return err // a cancelled caller gets no further instance
			}
			if err := fn(inst); err != nil {
				return err
			}
			batch[i] = nil
		}
		if done {
			return nil
		}
	}
}

// Check walks the whole file: bbolt's page-level consistency check, then every
// record decoded (classes, layouts, and each instance with its stored class).
// It returns the first problem found.
func (b *Bolt) Check(ctx context.Context) error {
	return b.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return cim.Errorf(cim.WBEM_E_CRITICAL_ERROR, "repository %s fails its consistency check: %v", b.path, err)
		}
		meta := tx.Bucket(bucketMeta)
		if meta == nil || tx.Bucket(bucketNamespaces) == nil {
			return cim.Errorf(cim.WBEM_E_CRITICAL_ERROR, "repository %s lacks its meta or namespace bucket", b.path)
		}
		t := &boltTx{tx: tx}
		return tx.Bucket(bucketNamespaces).ForEachBucket(func(k []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			nsb := tx.Bucket(bucketNamespaces).Bucket(k)
			ns := string(nsb.Get(keyName))
			classes, subs := nsb.Bucket(bucketClasses), nsb.Bucket(bucketSubclasses)
			if err := classes.ForEach(func(ck, v []byte) error {
				c, err := decodeClass(v)
				if err != nil {
					return err
				}
				if subs.Get(subKey(c.Superclass, c.Name)) == nil {
					return cim.Errorf(cim.WBEM_E_CRITICAL_ERROR, "class %s is missing from the subclass index of %q", c.Name, c.Superclass)
				}
				return nil
			}); err != nil {
				return fmt.Errorf("namespace %s: %w", ns, err)
			}
			if err := subs.ForEach(func(k, v []byte) error {
				super, child, _ := bytes.Cut(k, []byte{0})
				rec := classes.Get(child)
				if rec == nil {
					return cim.Errorf(cim.WBEM_E_CRITICAL_ERROR, "the subclass index of %q lists %s, which does not exist", super, v)
				}
				if _, s, err := classSuperclass(rec); err != nil || strings.ToLower(s) != string(super) {
					return cim.Errorf(cim.WBEM_E_CRITICAL_ERROR, "the subclass index lists %s under %q, but its superclass is %q", v, super, s)
				}
				return nil
			}); err != nil {
				return fmt.Errorf("namespace %s: %w", ns, err)
			}
			if err := nsb.Bucket(bucketLayouts).ForEach(func(_, v []byte) error {
				_, err := decodeLayout(v)
				return err
			}); err != nil {
				return fmt.Errorf("namespace %s: %w", ns, err)
			}
			if qb := nsb.Bucket(bucketQualifiers); qb != nil {
				if err := qb.ForEach(func(_, v []byte) error {
					_, err := decodeQualifier(v)
					return err
				}); err != nil {
					return fmt.Errorf("namespace %s: %w", ns, err)
				}
			}
			return nsb.Bucket(bucketInstances).ForEachBucket(func(ck []byte) error {
				var dec *instanceDecoder
				if rec := classes.Get(ck); rec != nil {
					c, _ := decodeClass(rec)
					dec = t.decoder(nsb, c)
				}
				return nsb.Bucket(bucketInstances).Bucket(ck).ForEach(func(ik, v []byte) error {
					var err error
					if dec != nil {
						_, err = dec.decode(v)
					} else {
						_, err = instanceLayout(v) // no class to decode against: check the frame
						if err == nil {
							_, err = open(v, recInstance, "instance")
						}
					}
					if err != nil {
						return fmt.Errorf("namespace %s, class %s, key %s: %w", ns, ck, ik, err)
					}
					return nil
				})
			})
		})
	})
}

// errno classes for mapErr. bbolt wraps some system errors with %s, so they
// are also recognized by their text.
var (
	diskFull     = []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG}
	accessDenied = []syscall.Errno{syscall.EACCES, syscall.EPERM, syscall.EROFS}
)

func hasErrno(err error, set []syscall.Errno) bool {
	for _, e := range set {
		if errors.Is(err, e) || strings.Contains(err.Error(), e.Error()) {
			return true
		}
	}
	return false
}

// mapErr turns an error from bbolt or the system into a *cim.Error with the
// status a WMI client expects; the cause stays reachable through Unwrap.
func mapErr(err error, path, op string) error {
	if err == nil {
		return nil
	}
	var ce *cim.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	name := "repository"
	if path != "" {
		name += " " + path
	}
	e := &cim.Error{Parameter: path, Err: err}
	switch {
	case hasErrno(err, diskFull):
		e.Status = cim.WBEM_E_OUT_OF_DISK_SPACE
		e.Description = fmt.Sprintf("%s: out of disk space during %s; nothing of the failed transaction was kept: %v", name, op, err)
	case hasErrno(err, accessDenied) || errors.Is(err, bolterrors.ErrDatabaseReadOnly) || errors.Is(err, bolterrors.ErrTxNotWritable):
		e.Status = cim.WBEM_E_ACCESS_DENIED
		e.Description = fmt.Sprintf("%s: access denied during %s: %v", name, op, err)
	case errors.Is(err, bolterrors.ErrVersionMismatch):
		e.Status = cim.WBEM_E_DATABASE_VER_MISMATCH
		e.Description = fmt.Sprintf("%s was written by an incompatible bbolt version: %v", name, err)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum):
		e.Status = cim.WBEM_E_CRITICAL_ERROR
		e.Description = fmt.Sprintf("%s is not a valid repository file or is damaged: %v", name, err)
	case errors.Is(err, bolterrors.ErrKeyTooLarge), errors.Is(err, bolterrors.ErrValueTooLarge):
		e.Status = cim.WBEM_E_TOO_MUCH_DATA
		e.Description = fmt.Sprintf("%s: %s: %v", name, op, err)
	default:
		e.Status = cim.WBEM_E_FAILED
		e.Description = fmt.Sprintf("%s: %s failed: %v", name, op, err)
	}
	return e
}

// boltTx implements Tx over a bbolt transaction.
type boltTx struct {
	tx *bolt.Tx
}

func nsKey(ns string) []byte   { return []byte(strings.ToLower(ns)) }
func classKey(c string) []byte { return []byte(strings.ToLower(c)) }
func subKey(super, c string) []byte {
	return []byte(strings.ToLower(super) + "\x00" + strings.ToLower(c))
}

func (t *boltTx) ns(name string) (*bolt.Bucket, error) {
	b := t.tx.Bucket(bucketNamespaces).Bucket(nsKey(name))
	if b == nil {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_NAMESPACE, Parameter: name, Description: "namespace " + name + " does not exist"}
	}
	return b, nil
}

func (t *boltTx) mustWrite() error {
	if !t.tx.Writable() {
		return cim.Errorf(cim.WBEM_E_READ_ONLY, "write in a read-only transaction")
	}
	return nil
}

func instBucket(nsb *bolt.Bucket, class string) *bolt.Bucket {
	return nsb.Bucket(bucketInstances).Bucket(classKey(class))
}

func (t *boltTx) layoutFunc(nsb *bolt.Bucket, class string) func(uint64) ([]layoutProp, error) {
	return func(h uint64) ([]layoutProp, error) {
		rec := nsb.Bucket(bucketLayouts).Get(layoutKey(class, h))
		if rec == nil {
			return nil, corrupt("instance of "+class, fmt.Sprintf("its layout %016x is missing", h))
		}
		return decodeLayout(rec)
	}
}

func (t *boltTx) decoder(nsb *bolt.Bucket, class *cim.Class) *instanceDecoder {
	return newInstanceDecoder(class, t.layoutFunc(nsb, class.Name))
}

func layoutKey(class string, h uint64) []byte {
	k := append(classKey(class), 0)
	return binary.BigEndian.AppendUint64(k, h)
}

func (t *boltTx) NamespaceExists(ns string) bool {
	return t.tx.Bucket(bucketNamespaces).Bucket(nsKey(ns)) != nil
}

func (t *boltTx) Namespaces(ns string) ([]string, error) {
	if _, err := t.ns(ns); err != nil {
		return nil, err
	}
	root := t.tx.Bucket(bucketNamespaces)
	prefix := append(nsKey(ns), '\\')
	var out []string
	c := root.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if bytes.IndexByte(k[len(prefix):], '\\') >= 0 {
			continue
		}
		out = append(out, string(root.Bucket(k).Get(keyName)))
	}
	sort.Strings(out)
	return out, nil
}

func (t *boltTx) CreateNamespace(ns string) error {
	return mapErr(t.createNamespace(ns), "", "CreateNamespace")
}

func (t *boltTx) createNamespace(ns string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if t.NamespaceExists(ns) {
		return &cim.Error{Status: cim.WBEM_E_ALREADY_EXISTS, Parameter: ns, Description: "namespace " + ns + " already exists"}
	}
	i := strings.LastIndexByte(ns, '\\')
	if i <= 0 || i == len(ns)-1 || !t.NamespaceExists(ns[:i]) {
		return &cim.Error{Status: cim.WBEM_E_INVALID_NAMESPACE, Parameter: ns, Description: "parent of namespace " + ns + " does not exist"}
	}
	return t.makeNamespace(ns)
}

// makeNamespace lays out the bucket of a new namespace.
func (t *boltTx) makeNamespace(ns string) error {
	b, err := t.tx.Bucket(bucketNamespaces).CreateBucket(nsKey(ns))
	if err != nil {
		return err
	}
	if err := b.Put(keyName, []byte(ns)); err != nil {
		return err
	}
	for _, name := range [][]byte{bucketClasses, bucketSubclasses, bucketInstances, bucketLayouts} {
		if _, err := b.CreateBucket(name); err != nil {
			return err
		}
	}
	return nil
}

func (t *boltTx) DeleteNamespace(ns string) error {
	return mapErr(t.deleteNamespace(ns), "", "DeleteNamespace")
}

func (t *boltTx) deleteNamespace(ns string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	if _, err := t.ns(ns); err != nil {
		return err
	}
	root := t.tx.Bucket(bucketNamespaces)
	self := nsKey(ns)
	doomed := [][]byte{self}
	prefix := append(append([]byte(nil), self...), '\\')
	c := root.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		doomed = append(doomed, append([]byte(nil), k...))
	}
	for _, k := range doomed {
		if err := root.DeleteBucket(k); err != nil {
			return err
		}
	}
	return nil
}

func notFoundClass(ns, name string) error {
	return &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: name, Description: "class " + name + " does not exist in " + ns}
}

func (t *boltTx) Class(ns, name string) (*cim.Class, error) {
	nsb, err := t.ns(ns)
	if err != nil {
		return nil, err
	}
	rec := nsb.Bucket(bucketClasses).Get(classKey(name))
	if rec == nil {
		return nil, notFoundClass(ns, name)
	}
	return decodeClass(rec)
}

func (t *boltTx) Subclasses(ns, name string) ([]string, error) {
	nsb, err := t.ns(ns)
	if err != nil {
		return nil, err
	}
	prefix := append(classKey(name), 0)
	var out []string
	c := nsb.Bucket(bucketSubclasses).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		out = append(out, string(v))
	}
	sort.Strings(out)
	return out, nil
}

func (t *boltTx) PutClass(ns string, cl *cim.Class) error {
	return mapErr(t.putClass(ns, cl), "", "PutClass")
}

func (t *boltTx) putClass(ns string, cl *cim.Class) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	nsb, err := t.ns(ns)
	if err != nil {
		return err
	}
	if cl == nil || cl.Name == "" {
		return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "a class to store needs a name")
	}
	rec, err := encodeClass(cl)
	if err != nil {
		return err
	}
	classes, subs := nsb.Bucket(bucketClasses), nsb.Bucket(bucketSubclasses)
	k := classKey(cl.Name)
	if old := classes.Get(k); old != nil {
		_, super, err := classSuperclass(old)
		if err != nil {
			return err
		}
		if err := subs.Delete(subKey(super, cl.Name)); err != nil {
			return err
		}
	}
	if err := classes.Put(k, rec); err != nil {
		return err
	}
	return subs.Put(subKey(cl.Superclass, cl.Name), []byte(cl.Name))
}

func (t *boltTx) DeleteClass(ns, name string) error {
	return mapErr(t.deleteClass(ns, name), "", "DeleteClass")
}

func (t *boltTx) deleteClass(ns, name string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	nsb, err := t.ns(ns)
	if err != nil {
		return err
	}
	classes := nsb.Bucket(bucketClasses)
	k := classKey(name)
	old := classes.Get(k)
	if old == nil {
		return notFoundClass(ns, name)
	}
	_, super, err := classSuperclass(old)
	if err != nil {
		return err
	}
	if err := nsb.Bucket(bucketSubclasses).Delete(subKey(super, name)); err != nil {
		return err
	}
	if err := classes.Delete(k); err != nil {
		return err
	}
	if insts := nsb.Bucket(bucketInstances); insts.Bucket(k) != nil {
		if err := insts.DeleteBucket(k); err != nil {
			return err
		}
	}
	// Drop the layouts of the deleted class's instances.
	lb := nsb.Bucket(bucketLayouts)
	prefix := append(k, 0)
	c := lb.Cursor()
	for lk, _ := c.Seek(prefix); lk != nil && bytes.HasPrefix(lk, prefix); lk, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

func notFoundInstance(ns, class, key string) error {
	return &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: key, Description: "no instance " + key + " of class " + class + " in " + ns}
}

func (t *boltTx) Instance(ns string, class *cim.Class, key string) (*cim.Instance, error) {
	nsb, err := t.ns(ns)
	if err != nil {
		return nil, err
	}
	var rec []byte
	if ib := instBucket(nsb, class.Name); ib != nil && key != "" {
		rec = ib.Get([]byte(key))
	}
	if rec == nil {
		return nil, notFoundInstance(ns, class.Name, key)
	}
	return t.decoder(nsb, class).decode(rec)
}

func (t *boltTx) PutInstance(ns string, inst *cim.Instance) error {
	return mapErr(t.putInstance(ns, inst, InstanceKey(inst)), "", "PutInstance")
}

// PutInstanceKeyed implements KeyedPutter.
func (t *boltTx) PutInstanceKeyed(ns string, inst *cim.Instance, key string) error {
	return mapErr(t.putInstance(ns, inst, key), "", "PutInstance")
}

func (t *boltTx) putInstance(ns string, inst *cim.Instance, key string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	nsb, err := t.ns(ns)
	if err != nil {
		return err
	}
	switch {
	case key == "":
		return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "instance of %s has an empty key", inst.ClassName())
	case len(key) > MaxKeySize:
		return cim.Errorf(cim.WBEM_E_TOO_MUCH_DATA, "key of instance of %s is %d bytes long, more than the limit of %d", inst.ClassName(), len(key), MaxKeySize)
	}
	class := inst.Class()
	h := layoutHash(class)
	rec, err := encodeInstance(inst, h)
	if err != nil {
		return err
	}
	lb := nsb.Bucket(bucketLayouts)
	lk := layoutKey(class.Name, h)
	if lb.Get(lk) == nil {
		lrec, err := encodeLayout(class)
		if err != nil {
			return err
		}
		if err := lb.Put(lk, lrec); err != nil {
			return err
		}
	}
	ib, err := nsb.Bucket(bucketInstances).CreateBucketIfNotExists(classKey(class.Name))
	if err != nil {
		return err
	}
	// Keys that arrive in order (a loader, generated names) would leave pages
	// half empty at bbolt's default split point; pack them.
	if last, _ := ib.Cursor().Last(); last == nil || string(last) < key {
		ib.FillPercent = appendFillPercent
	}
	return ib.Put([]byte(key), rec)
}

func (t *boltTx) DeleteInstance(ns, className, key string) error {
	return mapErr(t.deleteInstance(ns, className, key), "", "DeleteInstance")
}

func (t *boltTx) deleteInstance(ns, className, key string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	nsb, err := t.ns(ns)
	if err != nil {
		return err
	}
	ib := instBucket(nsb, className)
	if ib == nil || key == "" || ib.Get([]byte(key)) == nil {
		return notFoundInstance(ns, className, key)
	}
	return ib.Delete([]byte(key))
}

func (t *boltTx) HasInstances(ns, className string) (bool, error) {
	nsb, err := t.ns(ns)
	if err != nil {
		return false, err
	}
	ib := instBucket(nsb, className)
	if ib == nil {
		return false, nil
	}
	k, _ := ib.Cursor().First()
	return k != nil, nil
}

func (t *boltTx) ForEachInstance(ns string, class *cim.Class, fn func(*cim.Instance) error) error {
	nsb, err := t.ns(ns)
	if err != nil {
		return err
	}
	ib := instBucket(nsb, class.Name)
	if ib == nil {
		return nil
	}
	dec := t.decoder(nsb, class)
	c := ib.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		inst, err := dec.decode(v)
		if err != nil {
			return err
		}
		if err := fn(inst); err != nil {
			return err
		}
	}
	return nil
}
