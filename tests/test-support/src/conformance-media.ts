/**
 * The media the conformance backend returns, made for it (not taken from any other fixture): the
 * smallest valid files of each kind the conformance scenarios ask for.
 */

/** A 1×1 PNG of one red pixel (69 bytes), base64: `tools-call-image`, `resources-read-binary`. */
export const RedPixelPng =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";

/** A WAV file of 1 ms of silence (8 kHz, mono, 8-bit PCM, 52 bytes), base64: `tools-call-audio`. */
export const SilentWav = "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQgAAACAgICAgICAgA==";
