package importer_test

import (
	"fmt"
	"os"

	"github.com/supervise/supervise/internal/importer"
)

func ExampleConvert() {
	conf, err := importer.Convert("crontab", []string{"testdata/example/crontab"})
	if err != nil {
		fmt.Println(err)
		return
	}
	conf.WriteTo(os.Stdout)
	fmt.Println("not converted:", conf.NoteCount())
	// Output:
	// # Converted by `supervise import crontab` from testdata/example/crontab.
	// # Review every "# not converted:" line. A job's output goes to its log
	// # ({log_dir}/NAME.log) instead of mail; schedules use supervise's local time (TZ).
	//
	// [service cron-1-manage-clearsessions]
	// # testdata/example/crontab:2
	// command = sh -c 'cd /srv && ./manage.py clearsessions >/dev/null 2>&1'
	// schedule = */15 * * * *
	// not converted: 0
}
