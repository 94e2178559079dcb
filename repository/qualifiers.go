package repository

import (
	"sort"
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// Qualifier declarations (DSP0004's qualifier types) are kept per
// namespace: in Bolt, a namespace bucket's "qualifiers" bucket maps the
// lower-cased qualifier name to a qualifier record (kind 'Q': name, type,
// array size, scopes, flavor, default value). The bucket is made by the
// first PutQualifier, so files written before declarations were kept read
// as holding none, without a format change.

var bucketQualifiers = []byte("qualifiers")

const recQualifier byte = 'Q'

func notFoundQualifier(ns, name string) error {
	return &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: name, Description: "qualifier " + name + " is not declared in " + ns}
}

func encodeQualifier(q *cim.QualifierDecl) ([]byte, error) {
	e := encoder{b: make([]byte, 0, 64)}
	e.b = append(e.b, recQualifier)
	e.str(q.Name)
	e.uvarint(uint64(q.Type))
	e.uvarint(uint64(q.ArraySize))
	e.uvarint(uint64(q.Scopes))
	e.uvarint(uint64(q.Flavor))
	if err := e.value(q.Default, 0); err != nil {
		return nil, err
	}
	return e.seal("qualifier " + q.Name)
}

func decodeQualifier(rec []byte) (*cim.QualifierDecl, error) {
	d, err := open(rec, recQualifier, "qualifier")
	if err != nil {
		return nil, err
	}
	q := &cim.QualifierDecl{Name: d.str(), Type: d.typ()}
	size := d.uvarint()
	scopes := d.uvarint()
	flavor := d.uvarint()
	if size > 1<<31 || scopes > 0xFFFF || flavor > 0xFFFF {
		d.fail("field out of range")
	}
	q.ArraySize, q.Scopes, q.Flavor = int(size), cim.Scope(scopes), cim.Flavor(flavor)
	q.Default = d.value(0)
	if err := d.finish(); err != nil {
		return nil, err
	}
	return q, nil
}

// checkQualifier checks a declaration before it is stored and returns the
// copy to store.
func checkQualifier(q *cim.QualifierDecl) (*cim.QualifierDecl, error) {
	if q == nil {
		return nil, cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "no qualifier declaration to store")
	}
	q = q.Clone()
	if err := q.Check(); err != nil {
		return nil, err
	}
	return q, nil
}

func (t *boltTx) Qualifier(ns, name string) (*cim.QualifierDecl, error) {
	nsb, err := t.ns(ns)
	if err != nil {
		return nil, err
	}
	qb := nsb.Bucket(bucketQualifiers)
	if qb == nil {
		return nil, notFoundQualifier(ns, name)
	}
	rec := qb.Get([]byte(strings.ToLower(name)))
	if rec == nil {
		return nil, notFoundQualifier(ns, name)
	}
	return decodeQualifier(rec)
}

func (t *boltTx) Qualifiers(ns string) ([]*cim.QualifierDecl, error) {
	nsb, err := t.ns(ns)
	if err != nil {
		return nil, err
	}
	qb := nsb.Bucket(bucketQualifiers)
	if qb == nil {
		return nil, nil
	}
	var out []*cim.QualifierDecl
	err = qb.ForEach(func(_, v []byte) error {
		q, err := decodeQualifier(v)
		if err != nil {
			return err
		}
		out = append(out, q)
		return nil
	})
	return out, err
}

func (t *boltTx) PutQualifier(ns string, q *cim.QualifierDecl) error {
	return mapErr(t.putQualifier(ns, q), "", "PutQualifier")
}

func (t *boltTx) putQualifier(ns string, q *cim.QualifierDecl) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	nsb, err := t.ns(ns)
	if err != nil {
		return err
	}
	q, err = checkQualifier(q)
	if err != nil {
		return err
	}
	rec, err := encodeQualifier(q)
	if err != nil {
		return err
	}
	qb, err := nsb.CreateBucketIfNotExists(bucketQualifiers)
	if err != nil {
		return err
	}
	return qb.Put([]byte(strings.ToLower(q.Name)), rec)
}

func (t *boltTx) DeleteQualifier(ns, name string) error {
	return mapErr(t.deleteQualifier(ns, name), "", "DeleteQualifier")
}

func (t *boltTx) deleteQualifier(ns, name string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	nsb, err := t.ns(ns)
	if err != nil {
		return err
	}
	k := []byte(strings.ToLower(name))
	qb := nsb.Bucket(bucketQualifiers)
	if qb == nil || qb.Get(k) == nil {
		return notFoundQualifier(ns, name)
	}
	return qb.Delete(k)
}

func (t *memTx) Qualifier(ns, name string) (*cim.QualifierDecl, error) {
	n, err := t.ns(ns)
	if err != nil {
		return nil, err
	}
	q := n.qualifiers[strings.ToLower(name)]
	if q == nil {
		return nil, notFoundQualifier(ns, name)
	}
	return q.Clone(), nil
}

func (t *memTx) Qualifiers(ns string) ([]*cim.QualifierDecl, error) {
	n, err := t.ns(ns)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(n.qualifiers))
	for k := range n.qualifiers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*cim.QualifierDecl, 0, len(keys))
	for _, k := range keys {
		out = append(out, n.qualifiers[k].Clone())
	}
	return out, nil
}

func (t *memTx) PutQualifier(ns string, q *cim.QualifierDecl) error {
	n, err := t.writeNS(ns)
	if err != nil {
		return err
	}
	q, err = checkQualifier(q)
	if err != nil {
		return err
	}
	if _, err := encodeQualifier(q); err != nil { // the limits Bolt has
		return err
	}
	if n.qualifiers == nil {
		n.qualifiers = map[string]*cim.QualifierDecl{}
	}
	k := strings.ToLower(q.Name)
	setUndoable(t, n.qualifiers, k, q)
	return nil
}

func (t *memTx) DeleteQualifier(ns, name string) error {
	n, err := t.writeNS(ns)
	if err != nil {
		return err
	}
	k := strings.ToLower(name)
	old, had := n.qualifiers[k]
	if !had {
		return notFoundQualifier(ns, name)
	}
	delete(n.qualifiers, k)
	t.undo = append(t.undo, func() { n.qualifiers[k] = old })
	return nil
}
