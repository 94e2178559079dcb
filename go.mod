module github.com/gowbem/gowbem

go 1.26
