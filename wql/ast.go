package wql

import (
	"strings"
	"time"
)

// Query is a parsed WQL statement: a *SelectQuery (data or event query), a
// *SchemaQuery (SELECT * FROM meta_class), an *AssociatorsQuery or a
// *ReferencesQuery. String prints it in canonical form; parsing that text
// gives an equal Query.
type Query interface {
	String() string
	query()
}

// Prop names a property: one name, or a dotted path into embedded objects
// ("TargetInstance.Name"). Names keep the spelling of the query; they compare
// case-insensitively.
type Prop struct {
	Path []string
	Pos  int // 1-based character position in the query text (0 when built by hand)
}

// Name returns the dotted path ("TargetInstance.Name").
func (p Prop) Name() string { return strings.Join(p.Path, ".") }

// IsEmbedded reports whether p reaches into an embedded object.
func (p Prop) IsEmbedded() bool { return len(p.Path) > 1 }

// SelectQuery is SELECT … FROM Class [WITHIN n] [WHERE …] [GROUP WITHIN n [BY …]
// [HAVING …]]: a data query, or an event query when it has WITHIN or GROUP
// clauses or when it is handed to ExecNotificationQuery.
type SelectQuery struct {
	All   bool   // SELECT *
	Props []Prop // the SELECT list when not All
	Class string // the FROM class
	Where Expr   // nil without WHERE

	// Event clauses. Durations are seconds as written (they may be fractional);
	// zero means the clause is absent.
	Within      float64
	GroupWithin float64
	By          []Prop
	Having      Expr
}

// SchemaQuery is SELECT * FROM meta_class [WHERE …]: a query over class
// definitions.
type SchemaQuery struct {
	Where Expr // nil without WHERE
}

// AssociatorsQuery is ASSOCIATORS OF {path} [WHERE keywords]. Empty strings and
// false flags are keywords not given.
type AssociatorsQuery struct {
	Path                   string // the object path between the braces, as written
	AssocClass             string
	ResultClass            string
	ResultRole             string
	Role                   string
	RequiredQualifier      string
	RequiredAssocQualifier string
	ClassDefsOnly          bool
	KeysOnly               bool
	SchemaOnly             bool
}

// ReferencesQuery is REFERENCES OF {path} [WHERE keywords]. Empty strings and
// false flags are keywords not given.
type ReferencesQuery struct {
	Path              string // the object path between the braces, as written
	ResultClass       string
	Role              string
	RequiredQualifier string
	ClassDefsOnly     bool
	KeysOnly          bool
	SchemaOnly        bool
}

func (*SelectQuery) query()      {}
func (*SchemaQuery) query()      {}
func (*AssociatorsQuery) query() {}
func (*ReferencesQuery) query()  {}

// IsEvent reports whether q has an event clause (WITHIN, GROUP WITHIN) or
// selects from one of the intrinsic instance events.
func (q *SelectQuery) IsEvent() bool {
	return q.Within > 0 || q.GroupWithin > 0 || IsIntrinsicEvent(q.Class)
}

// WithinDuration returns the WITHIN polling interval (0 when absent).
func (q *SelectQuery) WithinDuration() time.Duration { return seconds(q.Within) }

// GroupWithinDuration returns the GROUP WITHIN window (0 when absent).
func (q *SelectQuery) GroupWithinDuration() time.Duration { return seconds(q.GroupWithin) }

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Expr is a WHERE or HAVING expression: *Logical, *Not, *Comparison, *IsNull,
// *Isa or *Like.
type Expr interface {
	expr()
}

// LogicalOp is AND or OR.
type LogicalOp uint8

// The logical operators.
const (
	And LogicalOp = iota + 1
	Or
)

// String returns "AND" or "OR".
func (op LogicalOp) String() string {
	if op == And {
		return "AND"
	}
	return "OR"
}

// Logical is a chain of two or more operands joined by the same operator. The
// parser flattens nested chains of the same operator.
type Logical struct {
	Op       LogicalOp
	Operands []Expr
}

// Not negates X.
type Not struct {
	X Expr
}

// CompareOp is a comparison operator.
type CompareOp uint8

// The comparison operators. "!=" parses as NotEqual.
const (
	Equal CompareOp = iota + 1
	NotEqual
	Less
	Greater
	LessEqual
	GreaterEqual
)

var compareOpText = [...]string{Equal: "=", NotEqual: "<>", Less: "<", Greater: ">", LessEqual: "<=", GreaterEqual: ">="}

// String returns the operator as WQL writes it ("<>" for NotEqual).
func (op CompareOp) String() string {
	if int(op) < len(compareOpText) && op != 0 {
		return compareOpText[op]
	}
	return "?"
}

// flip returns the operator that gives the same result with swapped operands.
func (op CompareOp) flip() CompareOp {
	switch op {
	case Less:
		return Greater
	case Greater:
		return Less
	case LessEqual:
		return GreaterEqual
	case GreaterEqual:
		return LessEqual
	}
	return op
}

// Comparison is Prop op Value. A query written constant-first ("5 < Size")
// parses with the operands swapped and the operator flipped ("Size > 5").
type Comparison struct {
	Prop  Prop
	Op    CompareOp
	Value Const
}

// IsNull is Prop IS [NOT] NULL ("Prop = NULL" and "Prop <> NULL" parse as this
// too, as in WMI).
type IsNull struct {
	Prop Prop
	Not  bool
}

// Isa is Prop ISA "Class": the embedded object (or __THIS, the object itself)
// is of Class or derives from it.
type Isa struct {
	Prop  Prop
	Class string
}

// Like is Prop LIKE "pattern". The pattern keeps its characters as written: a
// backslash is not an escape inside it.
type Like struct {
	Prop    Prop
	Pattern string
}

func (*Logical) expr()    {}
func (*Not) expr()        {}
func (*Comparison) expr() {}
func (*IsNull) expr()     {}
func (*Isa) expr()        {}
func (*Like) expr()       {}

// ConstKind is the kind of a constant.
type ConstKind uint8

// The kinds of constant. Integers that fit in int64 are Int; larger unsigned
// ones are Uint.
const (
	ConstString ConstKind = iota + 1
	ConstInt
	ConstUint
	ConstReal
	ConstBool
)

// Const is a constant of a comparison. Datetime constants are strings; they
// compare as datetimes against datetime properties.
type Const struct {
	Kind ConstKind
	Str  string  // ConstString
	Int  int64   // ConstInt
	Uint uint64  // ConstUint
	Real float64 // ConstReal
	Bool bool    // ConstBool
}

// IsIntrinsicEvent reports whether name is one of the intrinsic instance
// events, which a schema may not define but every event query may name.
func IsIntrinsicEvent(name string) bool {
	for _, n := range intrinsicEvents {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

var intrinsicEvents = []string{
	"__InstanceOperationEvent", "__InstanceCreationEvent",
	"__InstanceModificationEvent", "__InstanceDeletionEvent",
}
