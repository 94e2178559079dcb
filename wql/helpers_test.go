package wql

// Builders of expressions for the tests.

func stringConst(s string) Const { return Const{Kind: ConstString, Str: s} }

func intConst(n int64) Const { return Const{Kind: ConstInt, Int: n} }

func boolConst(b bool) Const { return Const{Kind: ConstBool, Bool: b} }

func realConst(f float64) Const { return Const{Kind: ConstReal, Real: f} }
