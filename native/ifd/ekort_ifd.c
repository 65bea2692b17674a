/*
 * ekort_ifd: a pcsc-lite IFD handler (reader driver) whose cards are programs.
 *
 * Each reader.conf entry is one reader with a few slots. DEVICENAME is
 * "<directory>/<name>:<slots>[:pinpad]": the driver listens on one Unix-domain socket per
 * slot, <directory>/<name>.<slot>, and a card plugs in by connecting to it (the connection is
 * the card: closing it pulls the card). There is no TCP, so no Nagle or delayed-ACK wait.
 *
 * The wire format is vsmartcard vpcd's, so one card-side implementation serves both drivers:
 * both ways a 2-byte big-endian length and the payload. From the driver, a 1-byte payload is
 * a control (00 power off, 01 power on, 02 reset, 04 send the ATR: only 04 is answered), a
 * longer one a command APDU answered by the response APDU. A PIN-pad reader adds one kind:
 * FF 50 || PIN_VERIFY_STRUCTURE and FF 51 || PIN_MODIFY_STRUCTURE (PC/SC part 10 §2.5.2,
 * §2.5.3), answered by the status word of the card (or of the "reader": 64 00 timeout,
 * 64 01 cancelled, ...). CLA FF is not an ISO 7816 class, so no command APDU starts so.
 *
 * Card events reach pcscd at once: the driver offers TAG_IFD_POLLING_THREAD_WITH_TIMEOUT, and
 * its wait ends when a card connects or disconnects.
 */
#define _GNU_SOURCE /* POLLRDHUP */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <PCSC/ifdhandler.h>
#include <PCSC/debuglog.h>
#include <PCSC/reader.h>

#define MAX_READERS 8
#define MAX_SLOTS 8
#define MAX_FRAME 65535
/* A command APDU's answer; a card that takes longer is treated as gone. */
#define APDU_TIMEOUT_MS 30000
#define ATR_TIMEOUT_MS 2000
/* The holder's time to type a PIN: the structure's bTimerOut, but never beyond this. */
#define PIN_ENTRY_MAX_MS 120000

#define CTRL_OFF 0x00
#define CTRL_ON 0x01
#define CTRL_RESET 0x02
#define CTRL_ATR 0x04
#define PINPAD_VERIFY 0x50
#define PINPAD_MODIFY 0x51

/* PC/SC part 10 features (reader.h), with control codes as the CCID driver numbers them. */
#define IOCTL_VERIFY_PIN_DIRECT SCARD_CTL_CODE(0x330000 + FEATURE_VERIFY_PIN_DIRECT)
#define IOCTL_MODIFY_PIN_DIRECT SCARD_CTL_CODE(0x330000 + FEATURE_MODIFY_PIN_DIRECT)

struct slot {
	pthread_mutex_t lock; /* held for every exchange with the card */
	int listen_fd;
	int card_fd; /* -1: no card */
	unsigned char atr[MAX_ATR_SIZE];
	DWORD atr_len;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct reader {
	int used;
	DWORD index; /* Lun >> 16 */
	int slots;
	int pinpad;
	struct slot slot[MAX_SLOTS];
	pthread_t watcher;
	int wake[2]; /* written to make the watcher rebuild its poll set or stop */
	pthread_mutex_t event_lock;
	pthread_cond_t event;
	unsigned long events;
};

static struct reader readers[MAX_READERS];
static pthread_mutex_t readers_lock = PTHREAD_MUTEX_INITIALIZER;

static struct reader *reader_of(DWORD lun)
{
	for (int i = 0; i < MAX_READERS; i++)
		if (readers[i].used && readers[i].index == (lun >> 16))
			return &readers[i];
	return NULL;
}

static struct slot *slot_of(DWORD lun)
{
	struct reader *r = reader_of(lun);
	DWORD s = lun & 0xFFFF;
	return r && s < (DWORD)r->slots ? &r->slot[s] : NULL;
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void card_event(struct reader *r)
{
	pthread_mutex_lock(&r->event_lock);
	r->events++;
	pthread_cond_broadcast(&r->event);
	pthread_mutex_unlock(&r->event_lock);
}

static void wake_watcher(struct reader *r)
{
	char b = 0;
	if (write(r->wake[1], &b, 1) < 0) { /* the pipe is full: the watcher wakes anyway */ }
}

/* The card is gone: close its connection. Called with the slot's lock held. */
static void pull_card(struct reader *r, struct slot *s)
{
	if (s->card_fd < 0)
		return;
	close(s->card_fd);
	s->card_fd = -1;
	s->atr_len = 0;
	card_event(r);
	wake_watcher(r);
}

static int send_all(int fd, const unsigned char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			if (poll(&p, 1, ATR_TIMEOUT_MS) <= 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_frame(int fd, const unsigned char *payload, size_t len)
{
	unsigned char buf[2 + MAX_FRAME];
	if (len == 0 || len > MAX_FRAME)
		return -1;
	buf[0] = (unsigned char)(len >> 8);
	buf[1] = (unsigned char)len;
	memcpy(buf + 2, payload, len);
	return send_all(fd, buf, len + 2);
}

/*
 * Reads one frame into out (at most cap bytes); returns its length, or -1. The card's socket is
 * non-blocking, so a read that finds the answer there costs no poll. The card answers
 * only what it is asked, so nothing after the frame can be in the socket: one recv usually
 * takes the header and the payload together.
 */
static long recv_frame(int fd, unsigned char *out, size_t cap, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	unsigned char buf[2 + MAX_FRAME];
	size_t have = 0, want = 2;
	while (have < want) {
		ssize_t n = recv(fd, buf + have, want - have + (have < 2 ? MAX_FRAME : 0), 0);
		if (n > 0) {
			have += (size_t)n;
			if (want == 2 && have >= 2) {
				size_t len = ((size_t)buf[0] << 8) | buf[1];
				if (len == 0 || len > cap)
					return -1;
				want = 2 + len;
			}
			if (have > want)
				return -1; /* more than was asked for: not a card speaking this protocol */
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return -1;
		long long left = deadline - now_ms();
		if (left <= 0)
			return -1;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -1;
	}
	memcpy(out, buf + 2, want - 2);
	return (long)(want - 2);
}

/* One request and its answer; on any failure the card counts as pulled. Slot lock held. */
static long exchange(struct reader *r, struct slot *s, const unsigned char *in, size_t in_len, unsigned char *out, size_t cap, int timeout_ms)
{
	if (s->card_fd < 0)
		return -1;
	long n = -1;
	if (send_frame(s->card_fd, in, in_len) == 0)
		n = recv_frame(s->card_fd, out, cap, timeout_ms);
	if (n < 0)
		pull_card(r, s);
	return n;
}

static int read_atr(struct reader *r, struct slot *s)
{
	unsigned char ctrl = CTRL_ATR;
	long n = exchange(r, s, &ctrl, 1, s->atr, sizeof s->atr, ATR_TIMEOUT_MS);
	if (n < 2) { /* an ATR has at least TS and T0 */
		pull_card(r, s);
		return -1;
	}
	s->atr_len = (DWORD)n;
	return 0;
}

static void accept_card(struct reader *r, struct slot *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->card_fd >= 0) {
		/* One card per slot: the second is refused by closing it at once. */
		pthread_mutex_unlock(&s->lock);
		close(fd);
		Log2(PCSC_LOG_INFO, "ekort_ifd: %s already holds a card; refused another", s->path);
		return;
	}
	s->card_fd = fd;
	if (read_atr(r, s) == 0)
		card_event(r);
	pthread_mutex_unlock(&s->lock);
}

/* Accepts cards and notices when one disconnects (POLLRDHUP: no data is read here). */
static void *watch(void *arg)
{
	struct reader *r = arg;
	for (;;) {
		struct pollfd p[1 + 2 * MAX_SLOTS];
		int kind[1 + 2 * MAX_SLOTS];
		int n = 0;
		p[n] = (struct pollfd){ .fd = r->wake[0], .events = POLLIN };
		kind[n++] = -1;
		for (int i = 0; i < r->slots; i++) {
			p[n] = (struct pollfd){ .fd = r->slot[i].listen_fd, .events = POLLIN };
			kind[n++] = i;
			int card = r->slot[i].card_fd; /* read without the lock: the wake pipe corrects a stale view */
			if (card >= 0) {
				p[n] = (struct pollfd){ .fd = card, .events = POLLRDHUP };
				kind[n++] = MAX_SLOTS + i;
			}
		}
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (p[0].revents) {
			char buf[64];
			ssize_t got = read(r->wake[0], buf, sizeof buf);
			if (got == 0 || (got > 0 && memchr(buf, 'q', (size_t)got)))
				return NULL;
		}
		for (int j = 1; j < n; j++) {
			if (!p[j].revents)
				continue;
			if (kind[j] < MAX_SLOTS) {
				accept_card(r, &r->slot[kind[j]]);
			} else {
				struct slot *s = &r->slot[kind[j] - MAX_SLOTS];
				pthread_mutex_lock(&s->lock);
				if (s->card_fd == p[j].fd)
					pull_card(r, s);
				pthread_mutex_unlock(&s->lock);
			}
		}
	}
}

/* pcscd's polling thread: returns when a card comes or goes, or after timeout ms. */
static RESPONSECODE wait_for_event(DWORD lun, int timeout)
{
	struct reader *r = reader_of(lun);
	if (!r)
		return IFD_NO_SUCH_DEVICE;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout / 1000;
	until.tv_nsec += (long)(timeout % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->event_lock);
	unsigned long seen = r->events;
	while (r->events == seen)
		if (pthread_cond_timedwait(&r->event, &r->event_lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&r->event_lock);
	return IFD_SUCCESS;
}

static int listen_on(struct slot *s)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(s->path) >= sizeof addr.sun_path)
		return -1;
	strcpy(addr.sun_path, s->path);
	unlink(s->path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	mode_t old = umask(0077); /* the socket: its owner only, like the directory */
	int ok = bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(fd, 4) == 0;
	umask(old);
	if (!ok) {
		close(fd);
		return -1;
	}
	s->listen_fd = fd;
	return 0;
}

static void close_reader(struct reader *r)
{
	char q = 'q';
	if (write(r->wake[1], &q, 1) == 1)
		pthread_join(r->watcher, NULL);
	for (int i = 0; i < r->slots; i++) {
		struct slot *s = &r->slot[i];
		pthread_mutex_lock(&s->lock);
		if (s->card_fd >= 0)
			close(s->card_fd);
		s->card_fd = -1;
		pthread_mutex_unlock(&s->lock);
		if (s->listen_fd >= 0) {
			close(s->listen_fd);
			unlink(s->path);
		}
		pthread_mutex_destroy(&s->lock);
	}
	close(r->wake[0]);
	close(r->wake[1]);
	pthread_mutex_destroy(&r->event_lock);
	pthread_cond_destroy(&r->event);
	r->used = 0;
}

/* "<dir>/<name>:<slots>[:pinpad]" */
static int parse_device(const char *device, char *base, size_t cap, int *slots, int *pinpad)
{
	const char *colon = strchr(device, ':');
	if (!colon || (size_t)(colon - device) >= cap || colon == device)
		return -1;
	memcpy(base, device, (size_t)(colon - device));
	base[colon - device] = 0;
	char *end;
	long n = strtol(colon + 1, &end, 10);
	if (n < 1 || n > MAX_SLOTS)
		return -1;
	*slots = (int)n;
	*pinpad = 0;
	if (*end == 0)
		return 0;
	if (strcmp(end, ":pinpad") == 0) {
		*pinpad = 1;
		return 0;
	}
	return -1;
}

static int make_parent(const char *base)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(dir, sizeof dir, "%s", base);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

RESPONSECODE IFDHCreateChannelByName(DWORD Lun, LPSTR DeviceName)
{
	char base[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int slots, pinpad;
	if (parse_device(DeviceName, base, sizeof base - 4, &slots, &pinpad) < 0) {
		Log2(PCSC_LOG_ERROR, "ekort_ifd: DEVICENAME %s is not <dir>/<name>:<slots>[:pinpad]", DeviceName);
		return IFD_COMMUNICATION_ERROR;
	}
	if (make_parent(base) < 0) {
		Log2(PCSC_LOG_ERROR, "ekort_ifd: cannot create the directory of %s", base);
		return IFD_COMMUNICATION_ERROR;
	}
	pthread_mutex_lock(&readers_lock);
	/* A slot-thread-safe driver is opened once per slot (Lun + slot): the reader exists then. */
	if (reader_of(Lun)) {
		pthread_mutex_unlock(&readers_lock);
		return (Lun & 0xFFFF) < MAX_SLOTS ? IFD_SUCCESS : IFD_COMMUNICATION_ERROR;
	}
	struct reader *r = NULL;
	for (int i = 0; i < MAX_READERS && !r; i++)
		if (!readers[i].used)
			r = &readers[i];
	if (!r) {
		pthread_mutex_unlock(&readers_lock);
		return IFD_COMMUNICATION_ERROR;
	}
	memset(r, 0, sizeof *r);
	r->index = Lun >> 16;
	r->slots = slots;
	r->pinpad = pinpad;
	if (pipe(r->wake) < 0) {
		pthread_mutex_unlock(&readers_lock);
		return IFD_COMMUNICATION_ERROR;
	}
	pthread_mutex_init(&r->event_lock, NULL);
	pthread_cond_init(&r->event, NULL);
	for (int i = 0; i < slots; i++) {
		struct slot *s = &r->slot[i];
		pthread_mutex_init(&s->lock, NULL);
		s->card_fd = -1;
		s->listen_fd = -1;
		int written = snprintf(s->path, sizeof s->path, "%s.%d", base, i);
		if (written < 0 || (size_t)written >= sizeof s->path || listen_on(s) < 0) {
			Log2(PCSC_LOG_ERROR, "ekort_ifd: cannot listen on %s", s->path);
			r->slots = i + 1;
			r->used = 1;
			close_reader(r);
			pthread_mutex_unlock(&readers_lock);
			return IFD_COMMUNICATION_ERROR;
		}
	}
	r->used = 1;
	if (pthread_create(&r->watcher, NULL, watch, r) != 0) {
		close_reader(r);
		pthread_mutex_unlock(&readers_lock);
		return IFD_COMMUNICATION_ERROR;
	}
	pthread_mutex_unlock(&readers_lock);
	Log4(PCSC_LOG_INFO, "ekort_ifd: %s, %d slot(s)%s", base, slots, pinpad ? ", PIN pad" : "");
	return IFD_SUCCESS;
}

RESPONSECODE IFDHCreateChannel(DWORD Lun, DWORD Channel)
{
	char device[64];
	snprintf(device, sizeof device, "/run/ekort-ifd/channel%lu:1", (unsigned long)Channel);
	return IFDHCreateChannelByName(Lun, device);
}

RESPONSECODE IFDHCloseChannel(DWORD Lun)
{
	pthread_mutex_lock(&readers_lock);
	struct reader *r = reader_of(Lun);
	if (r && (Lun & 0xFFFF) == 0)
		close_reader(r);
	pthread_mutex_unlock(&readers_lock);
	return IFD_SUCCESS;
}

static RESPONSECODE put(PDWORD Length, PUCHAR Value, const void *data, DWORD len)
{
	if (*Length < len)
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	memcpy(Value, data, len);
	*Length = len;
	return IFD_SUCCESS;
}

RESPONSECODE IFDHGetCapabilities(DWORD Lun, DWORD Tag, PDWORD Length, PUCHAR Value)
{
	struct reader *r = reader_of(Lun);
	struct slot *s = slot_of(Lun);
	if (!r || !s)
		return IFD_NO_SUCH_DEVICE;
	unsigned char one;
	switch (Tag) {
	case TAG_IFD_ATR:
	case SCARD_ATTR_ATR_STRING: {
		pthread_mutex_lock(&s->lock);
		RESPONSECODE rc = put(Length, Value, s->atr, s->atr_len);
		pthread_mutex_unlock(&s->lock);
		return rc;
	}
	case TAG_IFD_SIMULTANEOUS_ACCESS:
		one = MAX_READERS;
		return put(Length, Value, &one, 1);
	case TAG_IFD_THREAD_SAFE:
	case TAG_IFD_SLOT_THREAD_SAFE:
	case TAG_IFD_POLLING_THREAD_KILLABLE:
		one = 1;
		return put(Length, Value, &one, 1);
	case TAG_IFD_SLOTS_NUMBER:
		one = (unsigned char)r->slots;
		return put(Length, Value, &one, 1);
	case TAG_IFD_POLLING_THREAD_WITH_TIMEOUT: {
		RESPONSECODE (*fn)(DWORD, int) = wait_for_event;
		return put(Length, Value, &fn, sizeof fn);
	}
	default:
		return IFD_ERROR_TAG;
	}
}

RESPONSECODE IFDHSetCapabilities(DWORD Lun, DWORD Tag, DWORD Length, PUCHAR Value)
{
	(void)Lun; (void)Tag; (void)Length; (void)Value;
	return IFD_NOT_SUPPORTED;
}

RESPONSECODE IFDHSetProtocolParameters(DWORD Lun, DWORD Protocol, UCHAR Flags, UCHAR PTS1, UCHAR PTS2, UCHAR PTS3)
{
	(void)Flags; (void)PTS1; (void)PTS2; (void)PTS3;
	if (!slot_of(Lun))
		return IFD_NO_SUCH_DEVICE;
	/* The card is a program: T=0 and T=1 carry the same APDUs here. */
	return Protocol == SCARD_PROTOCOL_T0 || Protocol == SCARD_PROTOCOL_T1 ? IFD_SUCCESS : IFD_PROTOCOL_NOT_SUPPORTED;
}

RESPONSECODE IFDHPowerICC(DWORD Lun, DWORD Action, PUCHAR Atr, PDWORD AtrLength)
{
	struct reader *r = reader_of(Lun);
	struct slot *s = slot_of(Lun);
	if (!r || !s)
		return IFD_NO_SUCH_DEVICE;
	pthread_mutex_lock(&s->lock);
	RESPONSECODE rc = IFD_SUCCESS;
	unsigned char ctrl = Action == IFD_POWER_DOWN ? CTRL_OFF : Action == IFD_POWER_UP ? CTRL_ON : CTRL_RESET;
	if (Action != IFD_POWER_DOWN && Action != IFD_POWER_UP && Action != IFD_RESET) {
		rc = IFD_NOT_SUPPORTED;
	} else if (s->card_fd < 0) {
		rc = Action == IFD_POWER_DOWN ? IFD_SUCCESS : IFD_ICC_NOT_PRESENT;
	} else if (send_frame(s->card_fd, &ctrl, 1) < 0) {
		pull_card(r, s);
		rc = IFD_ERROR_POWER_ACTION;
	} else if (Action != IFD_POWER_DOWN && read_atr(r, s) < 0) {
		rc = IFD_ERROR_POWER_ACTION;
	}
	if (Action == IFD_POWER_DOWN || rc != IFD_SUCCESS) {
		*AtrLength = 0;
	} else {
		rc = put(AtrLength, Atr, s->atr, s->atr_len);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

RESPONSECODE IFDHTransmitToICC(DWORD Lun, SCARD_IO_HEADER SendPci, PUCHAR TxBuffer, DWORD TxLength, PUCHAR RxBuffer, PDWORD RxLength, PSCARD_IO_HEADER RecvPci)
{
	(void)SendPci;
	struct reader *r = reader_of(Lun);
	struct slot *s = slot_of(Lun);
	if (!r || !s) {
		*RxLength = 0;
		return IFD_NO_SUCH_DEVICE;
	}
	if (RecvPci)
		RecvPci->Protocol = SCARD_PROTOCOL_T1;
	/* CLA FF is the reader's own (the PIN-pad frames): never a card's. */
	if (TxLength < 4 || TxLength > MAX_FRAME || TxBuffer[0] == 0xFF) {
		*RxLength = 0;
		return IFD_COMMUNICATION_ERROR;
	}
	unsigned char out[MAX_FRAME];
	pthread_mutex_lock(&s->lock);
	long n = exchange(r, s, TxBuffer, TxLength, out, sizeof out, APDU_TIMEOUT_MS);
	pthread_mutex_unlock(&s->lock);
	if (n < 2) {
		*RxLength = 0;
		return s->card_fd < 0 ? IFD_ICC_NOT_PRESENT : IFD_COMMUNICATION_ERROR;
	}
	if ((DWORD)n > *RxLength) {
		*RxLength = 0;
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	}
	memcpy(RxBuffer, out, (size_t)n);
	*RxLength = (DWORD)n;
	return IFD_SUCCESS;
}

/* Secure PIN entry: the structure goes to the card side, which takes the PIN from the engineer. */
static RESPONSECODE pin_entry(struct reader *r, struct slot *s, unsigned char kind, PUCHAR in, DWORD in_len, PUCHAR out, DWORD out_len, LPDWORD returned)
{
	unsigned char frame[MAX_FRAME];
	unsigned char answer[MAX_FRAME];
	if (in_len < 1 || in_len + 2 > MAX_FRAME)
		return IFD_COMMUNICATION_ERROR;
	frame[0] = 0xFF;
	frame[1] = kind;
	memcpy(frame + 2, in, in_len);
	int timeout = in[0] ? in[0] * 1000 + 5000 : 35000; /* bTimerOut, 0 = the reader's default (30 s) */
	if (timeout > PIN_ENTRY_MAX_MS)
		timeout = PIN_ENTRY_MAX_MS;
	pthread_mutex_lock(&s->lock);
	long n = exchange(r, s, frame, in_len + 2, answer, sizeof answer, timeout);
	pthread_mutex_unlock(&s->lock);
	if (n < 2)
		return s->card_fd < 0 ? IFD_ICC_NOT_PRESENT : IFD_COMMUNICATION_ERROR;
	if ((DWORD)n > out_len)
		return IFD_ERROR_INSUFFICIENT_BUFFER;
	memcpy(out, answer, (size_t)n);
	*returned = (DWORD)n;
	return IFD_SUCCESS;
}

RESPONSECODE IFDHControl(DWORD Lun, DWORD dwControlCode, PUCHAR TxBuffer, DWORD TxLength, PUCHAR RxBuffer, DWORD RxLength, LPDWORD pdwBytesReturned)
{
	struct reader *r = reader_of(Lun);
	struct slot *s = slot_of(Lun);
	*pdwBytesReturned = 0;
	if (!r || !s)
		return IFD_NO_SUCH_DEVICE;
	if (dwControlCode == CM_IOCTL_GET_FEATURE_REQUEST) {
		if (!r->pinpad)
			return IFD_SUCCESS; /* no features */
		const uint32_t codes[2] = { IOCTL_VERIFY_PIN_DIRECT, IOCTL_MODIFY_PIN_DIRECT };
		const unsigned char tags[2] = { FEATURE_VERIFY_PIN_DIRECT, FEATURE_MODIFY_PIN_DIRECT };
		if (RxLength < 12)
			return IFD_ERROR_INSUFFICIENT_BUFFER;
		for (int i = 0; i < 2; i++) {
			unsigned char *tlv = RxBuffer + 6 * i;
			tlv[0] = tags[i];
			tlv[1] = 4;
			tlv[2] = (unsigned char)(codes[i] >> 24);
			tlv[3] = (unsigned char)(codes[i] >> 16);
			tlv[4] = (unsigned char)(codes[i] >> 8);
			tlv[5] = (unsigned char)codes[i];
		}
		*pdwBytesReturned = 12;
		return IFD_SUCCESS;
	}
	if (r->pinpad && dwControlCode == IOCTL_VERIFY_PIN_DIRECT)
		return pin_entry(r, s, PINPAD_VERIFY, TxBuffer, TxLength, RxBuffer, RxLength, pdwBytesReturned);
	if (r->pinpad && dwControlCode == IOCTL_MODIFY_PIN_DIRECT)
		return pin_entry(r, s, PINPAD_MODIFY, TxBuffer, TxLength, RxBuffer, RxLength, pdwBytesReturned);
	return IFD_ERROR_NOT_SUPPORTED;
}

RESPONSECODE IFDHICCPresence(DWORD Lun)
{
	struct slot *s = slot_of(Lun);
	if (!s)
		return IFD_NO_SUCH_DEVICE;
	return s->card_fd >= 0 && s->atr_len > 0 ? IFD_ICC_PRESENT : IFD_ICC_NOT_PRESENT;
}
