// SPDX-License-Identifier: GPL-2.0
/*
 * epoll_study: the experiments of Gammo, Brecht, Shukla and Pariag,
 * "Comparing and Evaluating epoll, select, and poll Event Mechanisms"
 * (Linux Symposium 2004), in the guest: userver (the paper's µserver,
 * bench/userver.c) under each event mechanism, Debian's httperf as the
 * open-loop client and its idleconn for the idle connections, all over
 * loopback.
 *
 *   epoll_study [exp=E[:E...]] [rates=R[:R...]] [seconds=S] [idle=N]
 *               [mechs=M[:M...]] [table1-rate=R]
 *
 * Experiments (default: all, in this order):
 *   onebyte       one-byte workload, no idle connections (Figures 1, 3)
 *   specweb       SPECweb99-like workload, no idle connections (2, 4)
 *   onebyte-idle  one-byte workload, N idle connections (Figure 5)
 *   specweb-idle  SPECweb99-like workload, N idle connections (Figure 6)
 *   accept        one-byte, select, epoll-lt and epoll-ctlv with an
 *                 accept limit of 1 and 10 (Figure 7, with onebyte's inf)
 *   table1        one-byte at one rate, the server's system call
 *                 breakdown (userver --stats; Table 1)
 *
 * rates= are offered request rates (requests/s); for the SPECweb99-like
 * workload httperf is given the session rate that offers them.  Each
 * point runs httperf for S seconds of offered load (default 2), with a
 * 1 s client timeout, and
 * prints
 *
 *   epoll_study exp=E idle=N mech=M accept=A rate=R reply_rate=X errors=N
 *               cpu_us_per_reply=C
 *
 * where reply_rate is replies per second of httperf's test duration,
 * cpu_us_per_reply the server's CPU time (/proc/PID/stat) over the run
 * per reply, and errors httperf's error total (client timeouts, resets, refused connections,
 * and fd-unavail when httperf's FD_SETSIZE limit is hit); table1 prints
 *
 *   epoll_study exp=table1 rate=R mech=M syscall=S calls=N pct_cpu=P
 *
 * for each mechanism whose run httperf completed (a failed run is tried
 * once more, then the mechanism is left out, not profiled in part).
 *
 * One server runs per experiment and mechanism, for all its rates in
 * ascending order.  With two or more CPUs the server runs on CPU 0 and
 * the clients on CPU 1, as the paper's server had its CPU and the
 * clients their machines: httperf polls its timers and would otherwise
 * compete with the server.  So scripts/bench.sh boots this benchmark on
 * two vCPUs with the real-time clock:
 * bench-clock: wall
 *
 * The SPECweb99-like file set (10 directories of four classes of nine
 * files, 0.1 KiB to 900 KiB, 48.8 MiB in all) and the session log are
 * made under /tmp with a fixed seed, so every kernel gets the same
 * requests.  Without httperf (it is in the guest's initramfs) the
 * benchmark prints a line saying so and exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "now.h"
#include "proc_fds.h"
#include "sysfile.h"

#define HTTPERF		"/usr/bin/httperf"
#define IDLECONN	"/usr/bin/idleconn"
#define IDLE_PER_PROC	1000	/* idleconn stops at FD_SETSIZE */
#define MAX_IDLE_PROCS	64
#define MAX_IDLE	(MAX_IDLE_PROCS * IDLE_PER_PROC)
#define DOCROOT		"/tmp/epoll_study/www"
#define SESSLOG		"/tmp/epoll_study/sessions"
#define NR_DIRS		10
#define NR_ROWS		16	/* rows of userver's --stats table */
#define NR_SESSIONS	1000	/* httperf reads at most 1000; it cycles */

static const char *const all_mechs[] = {
	"select", "poll", "epoll-lt", "epoll-et", "epoll2", "epoll-ctlv",
};
#define NR_ALL_MECHS	(sizeof(all_mechs) / sizeof(all_mechs[0]))

static const char *const all_exps[] = {
	"onebyte", "specweb", "onebyte-idle", "specweb-idle", "accept",
	"table1",
};

static char userver[PATH_MAX];
static int two_cpus;
static double mean_session_len;	/* requests per SPECweb99-like session */
static int session_len[NR_SESSIONS];

/* The options, as "key=value" words. */
static const char *opt_exps = "onebyte:specweb:onebyte-idle:specweb-idle:accept:table1";
static const char *opt_mechs = "select:poll:epoll-lt:epoll-et:epoll2:epoll-ctlv";
static const char *opt_rates = "500:1000:1500:2000:2500:3000";
static double opt_seconds = 2;
static int opt_idle = 10000;
static int opt_table1_rate = 2500;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "epoll_study: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* Is @word in the colon-separated @list? */
static int in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ':') && (p[n] == ':' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (!two_cpus)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ---- the SPECweb99-like file set and session log ---- */

/* SPECweb99's class mix and the access mix of the nine files in a class. */
static const double class_pct[4] = { 35, 50, 14, 1 };
static const double file_pct[9] = {
	3.9, 5.9, 8.8, 17.7, 35.3, 11.8, 7.1, 5.0, 4.4,
};
static const unsigned int class_unit[4] = { 102, 1024, 10240, 102400 };

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static double rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng >> 11) * (1.0 / 9007199254740992.0);
}

static int pick(const double *pct, int n)
{
	double x = rnd() * 100, sum = 0;
	int i;

	for (i = 0; i < n - 1; i++) {
		sum += pct[i];
		if (x < sum)
			return i;
	}
	return n - 1;
}

static void mkdirs(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	mkdir(buf, 0755);
}

static void make_file(const char *path, size_t len)
{
	static char block[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size_t n;

	if (fd < 0)
		die("%s: %m", path);
	if (!block[0])
		memset(block, 'x', sizeof(block));
	while (len) {
		n = len < sizeof(block) ? len : sizeof(block);
		if (write(fd, block, n) != (ssize_t)n)
			die("%s: %m", path);
		len -= n;
	}
	close(fd);
}

static void make_workloads(void)
{
	double dir_w[NR_DIRS], total = 0;
	long requests = 0;
	char path[PATH_MAX];
	int d, c, f, s, n, i;
	FILE *log;

	mkdirs(DOCROOT);
	make_file(DOCROOT "/index.html", 1);
	for (d = 0; d < NR_DIRS; d++)
		for (c = 0; c < 4; c++)
			for (f = 0; f < 9; f++) {
				snprintf(path, sizeof(path),
					 DOCROOT "/dir%05d", d);
				mkdir(path, 0755);
				snprintf(path, sizeof(path),
					 DOCROOT "/dir%05d/class%d_%d", d, c, f);
				make_file(path, (size_t)class_unit[c] * (f + 1));
			}

	/* Directories by Zipf's law, as SPECweb99 picks them. */
	for (d = 0; d < NR_DIRS; d++)
		total += dir_w[d] = 1.0 / (d + 1);
	for (d = 0; d < NR_DIRS; d++)
		dir_w[d] *= 100 / total;

	/*
	 * Sessions after SPECweb99's keep-alive rule: 70% of connections
	 * are persistent with 5 to 15 requests, the others carry one.
	 */
	log = fopen(SESSLOG, "w");
	if (!log)
		die(SESSLOG ": %m");
	for (s = 0; s < NR_SESSIONS; s++) {
		n = rnd() < 0.7 ? 5 + (int)(rnd() * 11) : 1;
		for (i = 0; i < n; i++) {
			d = pick(dir_w, NR_DIRS);
			c = pick(class_pct, 4);
			f = pick(file_pct, 9);
			fprintf(log, "/dir%05d/class%d_%d\n", d, c, f);
		}
		fprintf(log, "\n");
		session_len[s] = n;
		requests += n;
	}
	fclose(log);
	mean_session_len = (double)requests / NR_SESSIONS;
	printf("# epoll_study: SPECweb99-like set: %d directories, %d sessions, %.2f requests per session\n",
	       NR_DIRS, NR_SESSIONS, mean_session_len);
}

/* ---- processes ---- */

struct server {
	pid_t pid;
	int out;
	int port;
};

/* Start userver; its port once it listens. */
static void server_start(struct server *s, const char *mech,
			 const char *accept, int specweb, int stats)
{
	char *argv[24], line[512];
	int p[2], argc = 0, len = 0;

	argv[argc++] = userver;
	argv[argc++] = "--mechanism";
	argv[argc++] = (char *)mech;
	argv[argc++] = "--port";
	argv[argc++] = "0";
	argv[argc++] = "--address";
	argv[argc++] = "127.0.0.1";
	argv[argc++] = "--accept-limit";
	argv[argc++] = (char *)accept;
	argv[argc++] = "--docroot";
	argv[argc++] = DOCROOT;
	/* As the paper's server: sendfile under TCP_CORK. */
	argv[argc++] = "--sendfile";
	if (stats)
		argv[argc++] = "--stats";
	argv[argc] = NULL;
	(void)specweb;

	if (pipe2(p, O_CLOEXEC))
		die("pipe: %m");
	s->pid = fork();
	if (s->pid < 0)
		die("fork: %m");
	if (!s->pid) {
		/* Nothing outlives the study, should it die. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pin(0);
		dup2(p[1], 1);
		execv(userver, argv);
		_exit(127);
	}
	close(p[1]);
	s->out = p[0];
	for (;;) {
		ssize_t n = read(s->out, line + len, sizeof(line) - 1 - len);

		if (n <= 0)
			break;
		len += n;
		line[len] = '\0';
		if (sscanf(line, "userver: port %d", &s->port) == 1 &&
		    strchr(line, '\n'))
			return;
	}
	die("userver --mechanism %s did not start: %s", mech, len ? line : "");
}

/* Stop it; what it printed after its port, in @report. */
static int server_stop(struct server *s, char *report, size_t size)
{
	size_t len = 0;
	int status;
	ssize_t n;

	kill(s->pid, SIGTERM);
	while (len < size - 1 &&
	       (n = read(s->out, report + len, size - 1 - len)) > 0)
		len += n;
	report[len] = '\0';
	close(s->out);
	waitpid(s->pid, &status, 0);
	return status;
}

/* utime + stime of @pid, in clock ticks (/proc/PID/stat), or -1. */
static long cpu_ticks(pid_t pid)
{
	unsigned long ut, st;
	char path[64], buf[1024], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_line(path, buf, sizeof(buf)))
		return -1;
	/* after "(comm) ": state, then utime and stime are fields 12, 13 */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return -1;
	return ut + st;
}

static pid_t spawn(char *const argv[], int out)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %m");
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 0);
		dup2(out >= 0 ? out : null, 1);
		dup2(out >= 0 ? out : null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Open @n idle connections with idleconn; their pids in @pids. */
static int idle_start(struct server *s, int n, pid_t *pids)
{
	char port[16], count[16];
	char *argv[] = { IDLECONN, "127.0.0.1", port, count, NULL };
	int base = count_fds(s->pid), want = n, procs = 0, i, have = 0;

	snprintf(port, sizeof(port), "%d", s->port);
	while (n > 0) {
		snprintf(count, sizeof(count), "%d",
			 n < IDLE_PER_PROC ? n : IDLE_PER_PROC);
		pids[procs++] = spawn(argv, -1);
		n -= IDLE_PER_PROC;
		usleep(200000);
	}
	/* Wait until the server holds them all (2 minutes at most). */
	for (i = 0; i < 1200; i++) {
		have = count_fds(s->pid) - base;
		if (have >= want)
			break;
		usleep(100000);
	}
	return have;
}

static void idle_stop(pid_t *pids, int procs)
{
	int i;

	for (i = 0; i < procs; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
}

/* One httperf run: replies per second, and its error total. */
static double httperf(struct server *s, int specweb, int rate, long *errors,
		      long *nr_replies)
{
	char port[16], rate_s[32], num[32], wsess[PATH_MAX], buf[8192];
	char scratch[4096];
	char *argv[24];
	int p[2], argc = 0, status;
	long conns, reqs, replies = 0;
	double duration = 0;
	int deadline = (int)(opt_seconds * 2) + 20;
	double t0;
	size_t len = 0;
	ssize_t n;
	char *l;
	pid_t pid;

	snprintf(port, sizeof(port), "%d", s->port);
	argv[argc++] = HTTPERF;
	argv[argc++] = "--server=127.0.0.1";
	argv[argc++] = "--port";
	argv[argc++] = port;
	/*
	 * No --hog: with it httperf binds every client port itself, which
	 * tcp_tw_reuse does not cover, and once its ports are in TIME_WAIT
	 * from the points before it spins in bind() for good.  Without it
	 * connect() picks the ports and reuses loopback TIME_WAIT ones.
	 */
	argv[argc++] = "--timeout=1";
	if (specweb) {
		/*
		 * httperf starts sessions in log order, cycling: take as
		 * many as carry rate x seconds requests, and start them
		 * over the seconds, so the offered request rate is @rate.
		 */
		double want = rate * opt_seconds, have = 0;
		long nsess = 0;

		while (have < want)
			have += session_len[nsess++ % NR_SESSIONS];
		snprintf(rate_s, sizeof(rate_s), "--rate=%.3f",
			 nsess / opt_seconds);
		snprintf(wsess, sizeof(wsess), "--wsesslog=%ld,0," SESSLOG,
			 nsess);
		argv[argc++] = rate_s;
		argv[argc++] = wsess;
	} else {
		snprintf(rate_s, sizeof(rate_s), "--rate=%d", rate);
		snprintf(num, sizeof(num), "--num-conns=%ld",
			 (long)(rate * opt_seconds + 0.5));
		argv[argc++] = rate_s;
		argv[argc++] = num;
		argv[argc++] = "--num-calls=1";
		argv[argc++] = "--uri=/index.html";
	}
	argv[argc] = NULL;

	if (pipe2(p, O_CLOEXEC))
		die("pipe: %m");
	t0 = now_ns();
	pid = spawn(argv, p[1]);
	close(p[1]);
	/*
	 * Past saturation httperf can stall with all its FD_SETSIZE
	 * connections stuck: give up on it after a bound.
	 */
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int left = deadline - (int)((now_ns() - t0) / 1e9);

		if (left <= 0 || poll(&pfd, 1, left * 1000) != 1) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(p[0]);
			printf("# epoll_study: rate %d: httperf did not finish within %d s: point dropped\n",
			       rate, deadline);
			return -1;
		}
		/* Past the buffer, drain to the end so httperf can exit. */
		if (len < sizeof(buf) - 1)
			n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		else
			n = read(p[0], scratch, sizeof(scratch));
		if (n <= 0)
			break;
		if (len < sizeof(buf) - 1)
			len += n;
	}
	buf[len] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);

	*errors = -1;
	*nr_replies = 0;
	l = strstr(buf, "\nTotal: ");
	if (!l || sscanf(l, "\nTotal: connections %ld requests %ld replies %ld test-duration %lf",
			 &conns, &reqs, &replies, &duration) != 4 ||
	    duration <= 0) {
		for (l = buf; *l; l++)
			if (*l == '\n')
				*l = ' ';
		printf("# epoll_study: rate %d: httperf (status %#x) printed no totals: point dropped: %.300s\n",
		       rate, status, buf);
		return -1;
	}
	l = strstr(buf, "\nErrors: total ");
	if (l)
		sscanf(l, "\nErrors: total %ld", errors);
	*nr_replies = replies;
	if (*errors) {
		/* Which errors: both "Errors:" lines, on one. */
		char *e2 = l ? strstr(l + 1, "\nErrors: ") : NULL;

		if (l && e2) {
			*strchrnul(l + 1, '\n') = '\0';
			*strchrnul(e2 + 1, '\n') = '\0';
			printf("# epoll_study: rate %d: httperf %s, %s\n", rate,
			       l + 1, e2 + 9);
		}
	}
	return replies / duration;
}

/* ---- experiments ---- */

static int parse_rates(int *rates, int max)
{
	const char *p = opt_rates;
	int n = 0;

	while (*p && n < max) {
		rates[n++] = atoi(p);
		p = strchr(p, ':');
		if (!p)
			break;
		p++;
	}
	return n;
}

/* One mechanism over every rate, on one server. */
static void curve(const char *exp, const char *mech, const char *accept,
		  int specweb, int idle)
{
	pid_t idlers[MAX_IDLE_PROCS];
	char report[16384];
	struct server s;
	int rates[64], nr = parse_rates(rates, 64), i, held = 0;
	int procs = (idle + IDLE_PER_PROC - 1) / IDLE_PER_PROC;
	long errors;
	double rr;

	server_start(&s, mech, accept, specweb, 0);
	if (idle) {
		held = idle_start(&s, idle, idlers);
		if (held < idle)
			printf("# epoll_study: %s %s: the server holds %d of %d idle connections\n",
			       exp, mech, held, idle);
	}
	for (i = 0; i < nr; i++) {
		long t0 = cpu_ticks(s.pid), replies;
		double cpu;

		rr = httperf(&s, specweb, rates[i], &errors, &replies);
		if (rr < 0)
			continue;
		/* The server's CPU time per reply, whether or not it kept up. */
		cpu = (cpu_ticks(s.pid) - t0) * 1e6 / sysconf(_SC_CLK_TCK);
		printf("epoll_study exp=%s idle=%d mech=%s accept=%s rate=%d reply_rate=%.1f errors=%ld cpu_us_per_reply=%.1f\n",
		       exp, idle, mech, accept, rates[i], rr, errors,
		       replies > 0 ? cpu / replies : 0.0);
		fflush(stdout);
		sleep(1);
	}
	if (idle)
		idle_stop(idlers, procs);
	server_stop(&s, report, sizeof(report));
}

static int skip_mech(const char *mech)
{
	struct server s;
	int status;

	if (strcmp(mech, "epoll-ctlv"))
		return 0;
	/* The server exits 77 on a kernel without epoll_ctlv(2). */
	s.pid = fork();
	if (!s.pid) {
		char *argv[] = { userver, "--mechanism", (char *)mech, "--port",
				 "0", "--address", "127.0.0.1", "--quit-after-idle-seconds",
				 "1", NULL };
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		execv(userver, argv);
		_exit(127);
	}
	waitpid(s.pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		printf("# epoll_study: epoll-ctlv skipped: the kernel has no epoll_ctlv(2)\n");
		return 1;
	}
	return 0;
}

static int is_wait(const char *syscall)
{
	return !strcmp(syscall, "select") || !strcmp(syscall, "poll") ||
	       !strcmp(syscall, "epoll_wait");
}

/*
 * Table 1 as the paper's gprof profile had it: shares of the server's
 * CPU time, not of the wall-clock time, which would count the waits'
 * sleep.  The sockets are non-blocking, so the other calls' timed
 * durations are CPU time; the wait call's CPU time is the server's
 * system time left over, and "user" is its user time (the server's code
 * and libc).
 */
static void table1(const char *mech)
{
	char report[16384], name[NR_ROWS][32], *l;
	double ms[NR_ROWS], per, pct, sys, user_s = -1, sys_s = -1;
	double other_ms = 0, total_ms, wait_ms;
	unsigned long long calls[NR_ROWS];
	long errors, replies;
	int rows = 0, i, attempt;
	struct server s;
	double rr;

	/* A profile of a run that httperf gave up on would be partial. */
	for (attempt = 1;; attempt++) {
		server_start(&s, mech, "inf", 0, 1);
		rr = httperf(&s, 0, opt_table1_rate, &errors, &replies);
		server_stop(&s, report, sizeof(report));
		if (rr >= 0)
			break;
		if (attempt == 2) {
			printf("# epoll_study: table1 %s: httperf failed twice: no profile\n",
			       mech);
			return;
		}
		printf("# epoll_study: table1 %s: httperf failed: once more\n",
		       mech);
	}
	printf("epoll_study exp=table1 idle=0 mech=%s accept=inf rate=%d reply_rate=%.1f errors=%ld\n",
	       mech, opt_table1_rate, rr, errors);
	/* "syscall calls total-ms ns/call %time %sys" rows, and the CPU */
	for (l = strtok(report, "\n"); l; l = strtok(NULL, "\n")) {
		if (sscanf(l, "userver: cpu %lf s user, %lf s system",
			   &user_s, &sys_s) == 2)
			continue;
		if (rows == NR_ROWS ||
		    sscanf(l, "%31s %llu %lf %lf %lf %lf", name[rows],
			   &calls[rows], &ms[rows], &per, &pct, &sys) != 6 ||
		    !strcmp(name[rows], "total"))
			continue;
		if (!is_wait(name[rows]))
			other_ms += ms[rows];
		rows++;
	}
	total_ms = (user_s + sys_s) * 1e3;
	if (user_s < 0 || total_ms <= 0) {
		printf("# epoll_study: table1 %s: no CPU times in the server's report\n", mech);
		return;
	}
	wait_ms = sys_s * 1e3 - other_ms;
	if (wait_ms < 0)
		wait_ms = 0;
	for (i = 0; i < rows; i++)
		printf("epoll_study exp=table1 rate=%d mech=%s syscall=%s calls=%llu pct_cpu=%.2f\n",
		       opt_table1_rate, mech, name[i], calls[i],
		       100 * (is_wait(name[i]) ? wait_ms : ms[i]) / total_ms);
	printf("epoll_study exp=table1 rate=%d mech=%s syscall=user calls=0 pct_cpu=%.2f\n",
	       opt_table1_rate, mech, 100 * user_s * 1e3 / total_ms);
	fflush(stdout);
}

static void run(const char *exp)
{
	static const char *const sweep[] = { "select", "epoll-lt", "epoll-ctlv" };
	/* inf is the onebyte experiment's */
	static const char *const limits[] = { "1", "10" };
	int specweb = !strncmp(exp, "specweb", 7);
	int idle = strstr(exp, "-idle") ? opt_idle : 0;
	size_t m, a;

	printf("# epoll_study: %s\n", exp);
	fflush(stdout);
	for (m = 0; m < NR_ALL_MECHS; m++) {
		const char *mech = all_mechs[m];

		if (!in_list(opt_mechs, mech) || skip_mech(mech))
			continue;
		if (!strcmp(exp, "table1")) {
			table1(mech);
			continue;
		}
		if (strcmp(exp, "accept")) {
			curve(exp, mech, "inf", specweb, idle);
			continue;
		}
		for (a = 0; a < 2; a++)
			if (!strcmp(mech, sweep[0]) || !strcmp(mech, sweep[1]) ||
			    !strcmp(mech, sweep[2]))
				curve(exp, mech, limits[a], 0, 0);
	}
}

int main(int argc, char **argv)
{
	struct rlimit nofile = { 1 << 18, 1 << 18 };
	char *slash;
	size_t e;
	int i;

	for (i = 1; i < argc; i++) {
		char *v = strchr(argv[i], '=');

		if (!v)
			die("bad argument '%s' (want key=value)", argv[i]);
		*v++ = '\0';
		if (!strcmp(argv[i], "exp"))
			opt_exps = v;
		else if (!strcmp(argv[i], "mechs"))
			opt_mechs = v;
		else if (!strcmp(argv[i], "rates"))
			opt_rates = v;
		else if (!strcmp(argv[i], "seconds"))
			opt_seconds = atof(v);
		else if (!strcmp(argv[i], "idle"))
			opt_idle = atoi(v);
		else if (!strcmp(argv[i], "table1-rate"))
			opt_table1_rate = atoi(v);
		else
			die("unknown argument '%s'", argv[i]);
	}
	if (opt_idle < 0 || opt_idle > MAX_IDLE)
		die("idle=%d: 0 to %d", opt_idle, MAX_IDLE);
	if (access(HTTPERF, X_OK) || access(IDLECONN, X_OK)) {
		printf("# epoll_study: needs " HTTPERF " and " IDLECONN " (Debian's httperf): not run\n");
		return 0;
	}
	if (readlink("/proc/self/exe", userver, sizeof(userver) - 16) <= 0)
		die("/proc/self/exe: %m");
	slash = strrchr(userver, '/');
	strcpy(slash + 1, "userver");
	if (access(userver, X_OK))
		die("%s: %m", userver);

	signal(SIGPIPE, SIG_IGN);
	if (setrlimit(RLIMIT_NOFILE, &nofile))
		die("setrlimit: %m");
	/* Room for 10,000 idle connections and a few runs in TIME_WAIT. */
	write_file("/proc/sys/net/ipv4/ip_local_port_range", "1024 65535");
	write_file("/proc/sys/net/core/somaxconn", "65535");
	two_cpus = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	pin(1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	make_workloads();
	printf("# epoll_study: %s, %.0f s per point, %d idle connections, %s\n",
	       opt_rates, opt_seconds, opt_idle,
	       two_cpus ? "server on CPU 0, clients on CPU 1" :
	       "server and clients on one CPU");
	for (e = 0; e < sizeof(all_exps) / sizeof(all_exps[0]); e++)
		if (in_list(opt_exps, all_exps[e]))
			run(all_exps[e]);
	return 0;
}
