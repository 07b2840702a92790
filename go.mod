module github.com/supervise/supervise

go 1.26.8

require (
	github.com/klauspost/compress v1.20.4
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.50.0
)

require github.com/stretchr/testify v1.12.1 // indirect
