package config_test

import (
	"fmt"

	"github.com/supervise/supervise/internal/config"
)

func ExampleParse() {
	env := map[string]string{"LOGS": "/tmp/logs"}
	cfg, err := config.Parse("services.conf", []byte(`
[supervise]
log_dir = ${LOGS}

[service web]
command = python -m http.server ${PORT:-8000}
after = setup

[service setup]
command = sh -c 'mkdir -p /srv/www'
oneshot = true
`), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range cfg.StartOrder() {
		fmt.Println(s.Name, s.Command, s.Log.Path)
	}
	// Output:
	// setup [sh -c mkdir -p /srv/www] /tmp/logs/setup.log
	// web [python -m http.server 8000] /tmp/logs/web.log
}

func ExampleErrors() {
	_, err := config.Parse("services.conf", []byte(`
[service web]
comand = python app.py
restart = sometimes
`), nil)
	fmt.Println(err)
	// Output:
	// services.conf:2: [service web] has no command; accepted: command = PROGRAM [ARGS...]
	// services.conf:3: unknown key "comand" in [service web]; did you mean "command"?
	// services.conf:4: restart: "sometimes" is not a restart policy; accepted: always, on-failure, never
}
