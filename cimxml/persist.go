package cimxml

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/wbem"
)

// This file keeps a server's subscription objects in the repository (with
// IndicationOptions.Persist), so that they outlive a restart as DSP1054
// says subscriptions do. Each filter, destination and subscription is one
// instance of RecordClass in RecordNamespace: the instance as its creator
// sent it (in CIM-XML), the namespace it was made in, and who made it. The
// namespace is the server's own: its access list lets only administrators
// in (WMI's empty list), so other users neither read the records (another
// user's queries and listeners) nor forge one that the server would
// activate at its next start as somebody else. NewServer reads the records
// back and activates them as their creators, each looked up again
// (IndicationOptions.Lookup) so that a user since removed or demoted gets
// nothing the current users file does not give them; a record that no
// longer holds (its creator gone, its query refused) is deleted and
// logged.

// RecordNamespace is the namespace in which a server with
// IndicationOptions.Persist keeps its subscription objects, and
// RecordClass their class there.
const (
	RecordNamespace = `root\gowbem_cimxml_indications`
	RecordClass     = "GOWBEM_IndicationObject"
)

// recordClass is RecordClass's declaration.
func recordClass() *cim.Class {
	key := cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}
	desc := func(s string) cim.Qualifiers { return cim.Qualifiers{{Name: "Description", Value: cim.String(s)}} }
	return &cim.Class{Name: RecordClass, Qualifiers: desc("A CIM-XML indication filter, listener destination or subscription kept by the server across restarts."),
		Properties: []cim.Property{
			{Name: "Id", Type: cim.TypeString, Qualifiers: key},
			{Name: "Kind", Type: cim.TypeUint8, Qualifiers: desc("1 filter, 2 listener destination, 3 subscription")},
			{Name: "Namespace", Type: cim.TypeString, Qualifiers: desc("The namespace the object was created in.")},
			{Name: "Owner", Type: cim.TypeString, Qualifiers: desc("The user who created it (\"\": the program itself).")},
			{Name: "Remote", Type: cim.TypeBoolean, Qualifiers: desc("Whether its creator came from another machine.")},
			{Name: "Address", Type: cim.TypeString, Qualifiers: desc("Where its creator's request came from (host:port): a listener destination of a user who is no administrator must stay on that host.")},
			{Name: "Method", Type: cim.TypeString, Qualifiers: desc("How its creator logged in (\"pam\": a PAM account, whose name only a PAM account takes again).")},
			{Name: "Instance", Type: cim.TypeString, Qualifiers: desc("The instance as created, in CIM-XML (DSP0201).")},
		}}
}

// recordID is the key of an object's record: its table key, hashed (the
// table key holds NULs).
func recordID(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// prepareRecords makes sure the record namespace, its access list and its
// class exist. It runs as the server itself.
func (s *Server) prepareRecords(ctx context.Context) error {
	i := strings.LastIndexByte(RecordNamespace, '\\')
	parent, name := RecordNamespace[:i], RecordNamespace[i+1:]
	svc := wbem.NewServices(s.backend, RecordNamespace)
	if _, err := getClass(ctx, svc, "__NAMESPACE"); err != nil {
		if st := cim.StatusOf(err); st != cim.WBEM_E_INVALID_NAMESPACE && st != cim.WBEM_E_NOT_FOUND {
			return err
		}
		nc, err := getClass(ctx, wbem.NewServices(s.backend, parent), "__NAMESPACE")
		if err != nil {
			return err
		}
		inst := nc.NewInstance()
		inst.Set("Name", cim.String(name))
		if _, err := wbem.NewServices(s.backend, parent).PutInstance(ctx, inst, wbem.WBEM_FLAG_CREATE_ONLY); err != nil && cim.StatusOf(err) != cim.WBEM_E_ALREADY_EXISTS {
			return err
		}
		// Nobody but administrators: an empty access list.
		sec, err := getClass(ctx, svc, "__SystemSecurity")
		if err != nil {
			return err
		}
		m, ok := sec.Method("SetSD")
		if !ok {
			return &cim.Error{Status: cim.WBEM_E_INVALID_METHOD, Description: "__SystemSecurity has no method SetSD"}
		}
		in, _ := m.ParameterClasses()
		inst = in.NewInstance()
		sd, err := cim.ValueOf([]byte("# administrators only: the CIM-XML server's subscription records\n"))
		if err != nil {
			return err
		}
		inst.Set("SD", sd)
		if _, err := svc.ExecMethod(ctx, "__SystemSecurity", "SetSD", inst, 0); err != nil {
			return fmt.Errorf("restricting %s to administrators: %w", RecordNamespace, err)
		}
	}
	cl, err := getClass(ctx, svc, RecordClass)
	if err != nil {
		if _, err := svc.PutClass(ctx, recordClass(), wbem.WBEM_FLAG_CREATE_ONLY); err != nil && cim.StatusOf(err) != cim.WBEM_E_ALREADY_EXISTS {
			return err
		}
		return nil
	}
	_, hasAddress := cl.Property("Address")
	_, hasMethod := cl.Property("Method")
	if !hasAddress || !hasMethod {
		// Records of an older server: the class gains the properties
		// (NULL in them), and the records stay.
		if _, err := svc.PutClass(ctx, recordClass(), wbem.WBEM_FLAG_UPDATE_ONLY|wbem.WBEM_FLAG_UPDATE_FORCE_MODE); err != nil {
			return fmt.Errorf("updating %s: %w", RecordClass, err)
		}
	}
	return nil
}

// saveRecord stores o's record (made in namespace ns, under key, by
// caller: nil for the program itself).
func (t *subTable) saveRecord(s *Server, o *subObject, key, ns string, caller *identity.Caller) error {
	svc := wbem.NewServices(s.backend, RecordNamespace)
	cl, err := getClass(s.base, svc, RecordClass)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	(&encoder{}).instance(&b, o.inst, instOpts{})
	r := cl.NewInstance()
	r.Set("Id", cim.String(recordID(key)))
	r.Set("Kind", cim.Uint8(uint8(o.kind)))
	r.Set("Namespace", cim.String(ns))
	r.Set("Owner", cim.String(o.owner))
	if caller != nil {
		r.Set("Remote", cim.Bool(caller.Remote))
		r.Set("Address", cim.String(caller.Address))
		r.Set("Method", cim.String(caller.Method))
	}
	r.Set("Instance", cim.String(b.String()))
	_, err = svc.PutInstance(s.base, r, wbem.WBEM_FLAG_CREATE_OR_UPDATE)
	return err
}

// deleteRecord removes the record under key; one already gone is no
// failure.
func (t *subTable) deleteRecord(s *Server, key string) error {
	return t.deleteRecordID(s, recordID(key))
}

// deleteRecordID removes the record whose Id is id; one already gone is no
// failure.
func (t *subTable) deleteRecordID(s *Server, id string) error {
	_, err := wbem.NewServices(s.backend, RecordNamespace).DeleteInstance(s.base, RecordClass+`.Id="`+id+`"`, 0)
	if cim.StatusOf(err) == cim.WBEM_E_NOT_FOUND {
		return nil
	}
	return err
}

// restore reads the records back and activates them: filters and
// destinations first, then the subscriptions that join them.
func (s *Server) restore() {
	t := s.subs
	log := s.opts.Logger
	ctx := s.base
	if err := s.prepareRecords(ctx); err != nil {
		log.Error("CIM-XML indication subscriptions are not kept across restarts: the record namespace cannot be prepared", "namespace", RecordNamespace, "err", err)
		t.persist = false
		return
	}
	svc := wbem.NewServices(s.backend, RecordNamespace)
	e, err := svc.CreateInstanceEnum(ctx, RecordClass, semisync|wbem.WBEM_FLAG_SHALLOW)
	if err != nil {
		log.Error("reading the CIM-XML indication subscriptions", "err", err)
		return
	}
	var recs [4][]*cim.Instance
	buf := make([]cim.Object, 64)
	for {
		n, err := e.Next(wbem.Infinite, buf)
		for _, obj := range buf[:n] {
			if r, ok := obj.(*cim.Instance); ok {
				if k := r.Value("Kind"); !k.IsNull() && k.Uint() >= 1 && k.Uint() <= 3 {
					recs[k.Uint()] = append(recs[k.Uint()], r)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Error("reading the CIM-XML indication subscriptions", "err", err)
			e.Close()
			return
		}
	}
	e.Close()
	if pending := s.restoreRecords(recs, false); pending != nil {
		s.retry.Add(1)
		go s.restoreLater(pending)
	}
}

// lookupFailed is restoreOne's error when the creator's lookup failed
// without a verdict on the user: the record is kept for a later try.
type lookupFailed struct {
	owner string
	err   error
}

func (e *lookupFailed) Error() string {
	return fmt.Sprintf("its creator %q could not be looked up: %v", e.owner, e.err)
}

func (e *lookupFailed) Unwrap() error { return e.err }

// restoreRecords activates recs (by kind), deletes the records that no
// longer hold, and returns those held back (nil: none): the objects of a
// creator whose lookup failed, and, while a filter or destination is held
// back, the subscriptions that cannot be restored (they may join it).
// retrying is set for a later try: an object somebody has made again
// under the same name since (CIM_ERR_ALREADY_EXISTS) then wrote its own
// record over the one held, so that record is dropped, not deleted.
func (s *Server) restoreRecords(recs [4][]*cim.Instance, retrying bool) *[4][]*cim.Instance {
	log := s.opts.Logger
	svc := wbem.NewServices(s.backend, RecordNamespace)
	var held [4][]*cim.Instance
	restored, nheld := 0, 0
	for kind := kindFilter; kind <= kindSub; kind++ {
		for _, r := range recs[kind] {
			if s.base.Err() != nil {
				// Closed: the rest stays stored for the next start.
				return nil
			}
			err := s.restoreOne(kind, r)
			if err == nil {
				restored++
				continue
			}
			id, owner := r.Value("Id").Str(), r.Value("Owner").Str()
			var lf *lookupFailed
			if errors.As(err, &lf) || (kind == kindSub && len(held[kindFilter])+len(held[kindDest]) > 0) {
				held[kind] = append(held[kind], r)
				nheld++
				if !retrying {
					log.Error("CIM-XML indication object not restored yet; its record is kept and the restore tried again", "owner", owner,
						"namespace", r.Value("Namespace").Str(), "record", id, "every", s.subs.opts.RestoreRetryInterval, "err", err)
				}
				continue
			}
			if retrying && cim.StatusOf(err) == cim.WBEM_E_ALREADY_EXISTS {
				log.Warn("CIM-XML indication object held back was made again meanwhile; the one held is dropped", "owner", owner, "record", id, "err", err)
				continue
			}
			log.Warn("CIM-XML indication object not restored; its record is deleted", "owner", owner,
				"namespace", r.Value("Namespace").Str(), "record", id, "err", err)
			if _, err := svc.DeleteInstance(s.base, RecordClass+`.Id="`+id+`"`, 0); err != nil && cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
				log.Error("deleting a CIM-XML indication record", "record", id, "err", err)
			}
		}
	}
	s.subs.mu.Lock()
	s.subs.pending = nheld
	s.subs.mu.Unlock()
	if restored > 0 {
		log.Info("CIM-XML indication objects restored", "count", restored)
	}
	if nheld == 0 {
		return nil
	}
	return &held
}

// restoreLater tries the records held back again, every
// RestoreRetryInterval, until none is left or the server closes.
func (s *Server) restoreLater(held *[4][]*cim.Instance) {
	defer s.retry.Done()
	t := time.NewTicker(s.subs.opts.RestoreRetryInterval)
	defer t.Stop()
	for held != nil {
		select {
		case <-s.base.Done():
			return
		case <-t.C:
		}
		held = s.restoreRecords(*held, true)
	}
}

// pamMethod is identity.Caller.Method of a PAM account (package auth/pam's
// logins and lookups).
const pamMethod = "pam"

// restoringKey marks the context of a restored object's creation; its
// value is the Id of the record it comes from.
type restoringKey struct{}

// restoreOne activates one record as its creator.
func (s *Server) restoreOne(kind subKind, r *cim.Instance) error {
	owner, ns := r.Value("Owner").Str(), r.Value("Namespace").Str()
	text := r.Value("Instance").Str()
	root, err := parseDocument(text)
	if err != nil {
		return err
	}
	obj, err := (&decoder{ns: ns}).object(root, true)
	if err != nil {
		return err
	}
	inst, ok := obj.(*cim.Instance)
	if !ok || subKindOf(inst.ClassName()) != kind {
		return &cim.Error{Status: cim.WBEM_E_INVALID_OBJECT, Description: "the record holds no " + [...]string{"", "filter", "listener destination", "subscription"}[kind]}
	}
	ctx := s.base
	if owner != "" {
		var caller *identity.Caller
		if l := s.subs.opts.Lookup; l != nil {
			c, err := l(owner)
			if err == nil && c == nil {
				err = identity.ErrNoUser
			}
			if errors.Is(err, identity.ErrNoUser) {
				return &cim.Error{Status: cim.WBEM_E_ACCESS_DENIED, Description: fmt.Sprintf("its creator %q is no longer a user: %v", owner, err)}
			}
			if err != nil {
				return &lookupFailed{owner: owner, err: err}
			}
			// A PAM account's name is taken again by a PAM account only:
			// a users-file user since removed is not the Linux account
			// of the same name, nor the other way round.
			wasPAM := r.Value("Method").Str() == pamMethod
			if isPAM := c.Method == pamMethod; wasPAM != isPAM {
				return &cim.Error{Status: cim.WBEM_E_ACCESS_DENIED, Description: fmt.Sprintf("its creator %q logged in %s, and the user of that name now is %s", owner,
					map[bool]string{true: "as a PAM account", false: "as a user of the server's own"}[wasPAM],
					map[bool]string{true: "a PAM account", false: "a user of the server's own"}[isPAM])}
			}
			cc := *c
			caller = &cc
		} else {
			caller = &identity.Caller{Name: owner}
		}
		caller.Remote = !r.Value("Remote").IsNull() && r.Value("Remote").Bool()
		caller.Address = ""
		if a := r.Value("Address"); !a.IsNull() {
			caller.Address = a.Str()
		}
		caller.Method = "restored"
		ctx = identity.NewContext(ctx, caller)
	}
	c := &call{s: s, req: &request{ns: ns}, user: owner, ctx: context.WithValue(ctx, restoringKey{}, r.Value("Id").Str())}
	_, err = s.subs.create(c, kind, inst)
	return err
}
