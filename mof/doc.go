// Package mof compiles MOF (DMTF DSP0221, in the dialect WMI's mofcomp reads)
// into a plan of qualifier types, classes, instances and deletions, and prints
// classes and instances back as MOF.
//
// # Compiling
//
// Compile reads a file and what it includes from an fs.FS; CompileString
// compiles text. Neither touches a store: the result is a Plan whose Items,
// in file order, the object manager applies in one transaction. Classes in a
// plan are complete (cim.Derive has merged the superclass: inherited
// properties and methods first, qualifiers propagated by flavor, keys
// checked); instances have their values converted to the property types and
// their $alias references replaced by object paths. A superclass or an
// instance's class is looked up first among the classes compiled so far in the
// same namespace, then in Options.Schema.
//
// A compile stops at the first error and returns no plan. The error is a
// *Error carrying file:line:column, the offending token and a *cim.Error whose
// status is the matching WBEMMOF_E_* code (0x80044001–0x80044031, as mofcomp
// reports them) or, for semantic errors, the WBEM_E_* code WMI uses
// (WBEM_E_INVALID_SUPERCLASS, WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE,
// WBEM_E_INVALID_CLASS, …); errors.As(err, &*cim.Error) works.
//
// # Dialect
//
//   - Comments // and /* */; files in UTF-8 (with or without a byte order
//     mark) or UTF-16 with a byte order mark. Keywords and names are
//     case-insensitive.
//   - Qualifier declarations: Qualifier Name : type[n] = value,
//     Scope(class, association, indication, property, reference, method,
//     parameter, qualifier, any), Flavor(EnableOverride | DisableOverride,
//     ToSubclass | Restricted, ToInstance, Translatable, Amended). Without a
//     Flavor list a declaration gets DMTF's EnableOverride, ToSubclass; without
//     a Scope it applies anywhere. Redeclaring replaces.
//   - Qualifiers may be used without a declaration, as WMI allows: a bare name
//     is boolean TRUE, integers are sint32 (sint64 or uint64 when larger),
//     reals real64, arrays take their first element's type; the flavor is
//     cim.StandardFlavor. A declared qualifier's value is converted to the
//     declared type (a scalar for an array type becomes a one-element array)
//     and its scope is checked. Flavors may follow a use as in WMI,
//     [Description("x"): Amended ToSubclass]; they change the declared flavor.
//     A qualifier that ends up with no flavor bit (restricted, overridable) is
//     stored with FlavorToInstance, because cim.Derive reads flavor 0 as "use
//     the standard flavor".
//   - Classes: [quals] class Name [as $Alias] [: Super] { … }; with
//     properties (scalars, variable arrays x[], fixed arrays x[n], default
//     values), references (Class REF name, object REF name for any class),
//     embedded objects (a class name as the type, or object) and methods with
//     parameters (void for no return value; methods cannot return arrays).
//     The DSP0221 3.0 keywords association and indication are accepted for
//     class and add the qualifier. A fixed array size is recorded as the
//     qualifier MAX (ArraySizeQualifier), as WMI stores it. A method returning a
//     reference or an embedded object records its class in a CIMTYPE qualifier
//     ("ref:Class", "object:Class"), since cim.Method has no return class.
//     Parameter default values are accepted and dropped (cim.Parameter has no
//     default). EmbeddedInstance("X") and EmbeddedObject properties stay
//     strings that carry the qualifier.
//   - WMI's rules are checked: an association has at least two references
//     (its own or inherited) unless it is abstract, references are declared
//     only in associations (WBEM_E_INVALID_ASSOCIATION), a parameter is IN or
//     OUT (WBEMMOF_E_MUST_BE_IN_OR_OUT). Abstract, Association, Indication,
//     Dynamic, Provider and every other qualifier are recorded on the class for
//     the store and the object manager; whether an instance's class has keys,
//     is abstract or a singleton is the store's concern.
//   - Instances: [quals] instance of Class [as $Alias] { Prop = value; … };.
//     Qualifiers on instances and on their property values are accepted and
//     ignored (cim.Instance has no per-instance qualifiers). A value may be an
//     alias ($Name, also forward references, also inside arrays) for a
//     reference property, or an embedded instance (instance of X { … }) for an
//     object property; embedded instances cannot use or define aliases. An
//     alias becomes the target's relative path (Class.Key="v") when both live
//     in the same namespace, its full path otherwise.
//   - Literals: strings with C escapes (\b \t \n \f \r \" \' \\ and \x or \X
//     with one to four hex digits), adjacent strings concatenated, char16 'c',
//     integers in decimal, hex (0x1F), octal (017) and binary (101b) with an
//     optional sign, reals (1.5, .5, 2e3, 1.5E-3), TRUE, FALSE, NULL and arrays
//     {a, b}. Integers also fit real, char16 and string properties, as mofcomp
//     allows; datetimes and references are strings checked with
//     cim.ParseDatetime and cim.ParsePath.
//
// # Pragmas
//
// Honoured:
//
//   - #pragma include("file"): resolved relative to the including file inside
//     the fs.FS (backslashes are separators); cycles and nesting beyond
//     Options.MaxIncludeDepth (DefaultMaxIncludeDepth) are errors.
//   - #pragma namespace("path"): \\server\ns or //server/ns and paths whose
//     first element is root are absolute; anything else is relative to the
//     current namespace. It stays in force across includes, as mofcomp's
//     preprocessing makes it.
//   - #pragma classflags(…) and #pragma instanceflags(…): "createonly",
//     "updateonly", "safeupdate", "forceupdate" or their numbers; recorded in
//     Item.Flags of the classes or instances that follow, for the store.
//   - #pragma deleteclass("Class", FAIL|NOFAIL) and
//     #pragma deleteinstance("path", FAIL|NOFAIL): become delete items; a
//     deleted class no longer resolves as a superclass later in the compile.
//
// Accepted and ignored: #pragma locale, instancelocale, amendment,
// autorecover, source, nonlocal and nonlocaltype (gowbem keeps no amended,
// localized copies and no recovery list). Any other pragma is
// WBEMMOF_E_INVALID_PRAGMA.
//
// # Limits
//
// DefaultMaxIncludeDepth, MaxNesting (arrays and embedded instances inside a
// value), MaxArraySize (x[n]) and MaxFileSize bound the input; cim.MaxNameLength
// bounds names. Compile checks its context between declarations.
//
// # Printing
//
// FormatClass, FormatInstance and Print write MOF text. A class is written with
// its own qualifiers and the members it declares or overrides; a Printer with
// the superclass in hand (Printer.Class) writes exactly what differs from it,
// and Printer.Plan writes a whole plan so that compiling the text gives the
// same plan again (the CIM Schema 2.49 round-trips this way).
package mof
