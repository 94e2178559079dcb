package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/wbem"
)

// securityClass is the class whose methods read and set a namespace's
// access list (cimom.SecurityClass, WMI's __SystemSecurity).
const securityClass = "__SystemSecurity"

// securityCommand is "wbem security": a namespace's access list, read and
// changed through __SystemSecurity's GetSD and SetSD, in-process or on a
// daemon.
func securityCommand() *command {
	return &command{name: "security", args: "show|grant|revoke|deny|inherit [USER RIGHT…]",
		help: "show or change the access list of the namespace (-n); USER is NAME or group:NAME", min: 1, max: -1,
		run: (*runner).security}
}

func (r *runner) security(ctx context.Context, args []string) error {
	svc := r.conn.svc
	sub, rest := args[0], args[1:]
	switch sub {
	case "show":
		if len(rest) != 0 {
			return usageErrorf("security show takes no argument")
		}
		return r.showACL(ctx, svc)
	case "inherit":
		if len(rest) != 0 {
			return usageErrorf("security inherit takes no argument")
		}
		if err := setSD(ctx, svc, nil); err != nil {
			return err
		}
		return r.showACL(ctx, svc)
	case "grant", "revoke", "deny":
		if len(rest) < 2 {
			return usageErrorf("security %s takes a user (NAME or group:NAME) and one or more rights (%s)", sub, strings.Join(identity.RightNames(), ", "))
		}
		t, err := identity.ParseTrustee(rest[0])
		if err != nil {
			return usageErrorf("%v", err)
		}
		rights, err := identity.ParseRights(rest[1:]...)
		if err != nil {
			return usageErrorf("%v", err)
		}
		acl, _, err := getSD(ctx, svc)
		if err != nil {
			return err
		}
		switch sub {
		case "grant":
			acl = acl.Grant(t, rights)
		case "revoke":
			acl = acl.Revoke(t, rights)
		case "deny":
			acl = acl.Deny(t, rights)
		}
		if err := setSD(ctx, svc, acl); err != nil {
			return err
		}
		return r.showACL(ctx, svc)
	}
	return usageErrorf("security: unknown subcommand %q (show, grant, revoke, deny, inherit)", sub)
}

func (r *runner) showACL(ctx context.Context, svc *wbem.Services) error {
	acl, from, err := getSD(ctx, svc)
	if err != nil {
		return err
	}
	switch {
	case from == "":
		fmt.Fprintf(r.env.Stdout, "namespace %s: the default access list\n", svc.Namespace())
	case !strings.EqualFold(from, svc.Namespace()):
		fmt.Fprintf(r.env.Stdout, "namespace %s: inherited from %s\n", svc.Namespace(), from)
	default:
		fmt.Fprintf(r.env.Stdout, "namespace %s: its own access list\n", svc.Namespace())
	}
	tw := tabwriter.NewWriter(r.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCESS\tTRUSTEE\tRIGHTS")
	for _, e := range acl {
		kind := "allow"
		if e.Deny {
			kind = "deny"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", kind, e.Trustee, strings.Join(e.Rights.Names(), ","))
	}
	return tw.Flush()
}

// getSD returns the namespace's access list and where it is set ("" for
// the default).
func getSD(ctx context.Context, svc *wbem.Services) (identity.ACL, string, error) {
	cr, err := svc.ExecMethod(ctx, securityClass, "GetSD", nil, 0)
	if err != nil {
		return nil, "", err
	}
	obj, err := cr.ResultObject(wbem.Infinite)
	if err != nil {
		return nil, "", err
	}
	out := obj.(*cim.Instance)
	a := out.Value("SD").Array()
	b := make([]byte, len(a))
	for i, v := range a {
		b[i] = byte(v.Uint())
	}
	acl, err := identity.ParseACL(b)
	if err != nil {
		return nil, "", &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Description: "the access list GetSD returned: " + err.Error()}
	}
	return acl, out.Value("InheritedFrom").Str(), nil
}

// setSD sets the namespace's access list; nil drops it (the namespace
// inherits its parent's again).
func setSD(ctx context.Context, svc *wbem.Services, acl identity.ACL) error {
	c, err := getClass(ctx, svc, securityClass)
	if err != nil {
		return err
	}
	m, ok := c.Method("SetSD")
	if !ok {
		return &cim.Error{Status: cim.WBEM_E_INVALID_METHOD, Description: securityClass + " has no method SetSD"}
	}
	inClass, _ := m.ParameterClasses()
	in := inClass.NewInstance()
	if acl != nil {
		text, _ := acl.MarshalText()
		if len(text) == 0 {
			text = []byte("# nobody but administrators\n")
		}
		v, err := cim.ValueOf(text)
		if err != nil {
			return err
		}
		if err := in.Set("SD", v); err != nil {
			return err
		}
	}
	cr, err := svc.ExecMethod(ctx, securityClass, "SetSD", in, 0)
	if err != nil {
		return err
	}
	_, err = cr.ResultObject(wbem.Infinite)
	return err
}
