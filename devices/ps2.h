/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PS/2 keyboard and mouse behind the i8042: the bytes each answers to the commands a driver sends
 * (reset, identify, LEDs, scan code set, typematic, enable/disable; sample rate, resolution, status,
 * stream/remote mode, IntelliMouse wheel), and the bytes a key or a motion produces. Plain state
 * with no lock: the i8042 serializes every call. Keys are named by their "XT number": the set 1
 * make code, with bit 7 set for the E0-prefixed keys (QEMU's extended key event numbers them so). */
#ifndef KVMINI_PS2_H
#define KVMINI_PS2_H
#include <stdint.h>

#define PS2_QUEUE_SIZE 64

struct ps2_queue {
	uint8_t b[PS2_QUEUE_SIZE];
	unsigned head, n;
};

/* 0 or -ENOSPC (the byte is dropped, as a real device's buffer overruns). */
int ps2_queue_put(struct ps2_queue *q, uint8_t v);
/* 1 with the next byte in *v, 0 when empty. */
int ps2_queue_get(struct ps2_queue *q, uint8_t *v);
unsigned ps2_queue_free(const struct ps2_queue *q);

struct ps2_kbd {
	struct ps2_queue q;
	uint8_t pending; /* command waiting for its parameter byte, 0 if none */
	uint8_t scanset; /* 1, 2 or 3 (3 is served as 2) */
	uint8_t leds, typematic;
	uint8_t enabled; /* scanning on */
};

/* Power-on state; with bat the self-test result (0xAA) is queued as after a reset. */
void ps2_kbd_init(struct ps2_kbd *k, int bat);
/* A byte from the host (command or parameter); the answers go to the queue. */
void ps2_kbd_write(struct ps2_kbd *k, uint8_t v);
/* A key went down or up: its codes in the current scan set (nothing while disabled or for an
 * unknown number). */
void ps2_kbd_key(struct ps2_kbd *k, unsigned xt, int down);
/* The set 2 make code of a key (0 if none) and the set 1 byte the i8042 translates a set 2 byte to. */
uint8_t ps2_xt_to_set2(unsigned xt);
uint8_t ps2_set2_to_set1(uint8_t b);
/* 0 if the state is one ps2_kbd_write could have left (a saved state's check). */
int ps2_kbd_check(const struct ps2_kbd *k);

struct ps2_mouse {
	struct ps2_queue q;
	uint8_t pending; /* F3 / E8 waiting for its parameter, 0 if none */
	uint8_t rate, resolution, scale21, remote, enabled, wrap;
	uint8_t id; /* 0 plain, 3 IntelliMouse (wheel) after the 200-100-80 sample-rate knock */
	uint8_t knock[2]; /* the two sample rates set before the last */
	uint8_t buttons; /* bit 0 left, 1 right, 2 middle */
	int32_t dx, dy, dz; /* motion not sent yet (remote mode, or a full queue) */
};

void ps2_mouse_init(struct ps2_mouse *m, int bat);
void ps2_mouse_write(struct ps2_mouse *m, uint8_t v);
/* Relative motion (dy > 0 is up, dz > 0 wheel up) and the buttons now held. */
void ps2_mouse_event(struct ps2_mouse *m, int dx, int dy, int dz, unsigned buttons);
int ps2_mouse_check(const struct ps2_mouse *m);

/* Saved state of each (inside the i8042's section). */
struct state_writer;
struct state_reader;
void ps2_kbd_state_save(const struct ps2_kbd *k, struct state_writer *w);
void ps2_kbd_state_load(struct ps2_kbd *k, struct state_reader *r);
void ps2_mouse_state_save(const struct ps2_mouse *m, struct state_writer *w);
void ps2_mouse_state_load(struct ps2_mouse *m, struct state_reader *r);

#endif
