/*
 * dnp3w.h - DNP3 link/transport framing for the project's capture generators
 * (IEEE 1815-2012 §9 link layer with CRC-16/DNP every 16 bytes, §8 transport segments).
 */
#ifndef GS_PCAPS_DNP3W_H
#define GS_PCAPS_DNP3W_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GS_DNP3W_MAX_WIRE 8192

/* CRC-16/DNP (poly 0x3D65 reflected, final complement), as sent: low byte first. */
uint16_t gs_dnp3w_crc(const uint8_t *p, size_t n);

/*
 * Frames an application fragment as link frames of UNCONFIRMED_USER_DATA (function 4,
 * PRM set) from `src` to `dst`, split into transport segments of at most 249 bytes with
 * FIR/FIN and sequence numbers starting at `tseq`. `from_master` sets the DIR bit.
 * Returns the number of bytes written to out (all frames back to back).
 */
size_t gs_dnp3w_frame(uint8_t *out, size_t cap, uint16_t src, uint16_t dst, bool from_master,
                      uint8_t tseq, const uint8_t *apdu, size_t len);

#endif
