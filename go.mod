module github.com/kensa-mail/kensa

go 1.26.0

require (
	github.com/emersion/go-message v0.18.2
	go.uber.org/zap v1.28.0
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/net v0.62.0
	golang.org/x/text v0.43.0
	mvdan.cc/xurls/v2 v2.6.0
)

require go.uber.org/multierr v1.10.0 // indirect
