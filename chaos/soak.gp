# Chart of a soak run: gnuplot -e "csv='soak.csv'; png='docs/soak.png'" chaos/soak.gp
# soak.csv columns: minute,rss_kib,hwm_kib,fds,goroutines,threads,orphans_reaped,processes
set datafile separator ','
set terminal pngcairo size 1000,560 font 'sans,10' noenhanced
set output png
set title 'supervise under mixed load (sampled each minute)'
set xlabel 'minutes'
set ylabel 'MiB'
set y2label 'count'
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set key bottom right
set grid
plot csv every ::1 using 1:($2/1024) with linespoints lw 2 title 'RSS (MiB)', \
     csv every ::1 using 1:($3/1024) with lines dt 2 lw 2 title 'peak RSS, VmHWM (MiB)', \
     csv every ::1 using 1:4 axes x1y2 with linespoints title 'open fds', \
     csv every ::1 using 1:5 axes x1y2 with linespoints title 'goroutines (go_goroutines)', \
     csv every ::1 using 1:8 axes x1y2 with linespoints title 'processes in the namespace'
