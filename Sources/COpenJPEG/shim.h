/* COpenJPEG: decodes one JPEG 2000 codestream (or JP2 file) held in memory.
 * OpenJPEG's stream API wants C callbacks; these typed wrappers keep them out of Swift. */
#ifndef COPENJPEG_SHIM_H
#define COPENJPEG_SHIM_H

#include <openjpeg-2.5/openjpeg.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t length;
    size_t offset;
} COJMemory;

static OPJ_SIZE_T coj_read(void *buffer, OPJ_SIZE_T count, void *user) {
    COJMemory *memory = (COJMemory *)user;
    if (memory->offset >= memory->length) return (OPJ_SIZE_T)-1;
    size_t left = memory->length - memory->offset;
    size_t n = count < left ? count : left;
    memcpy(buffer, memory->data + memory->offset, n);
    memory->offset += n;
    return n;
}

static OPJ_OFF_T coj_skip(OPJ_OFF_T count, void *user) {
    COJMemory *memory = (COJMemory *)user;
    if (count < 0) {
        if ((size_t)(-count) > memory->offset) return -1;
    } else if ((size_t)count > memory->length - memory->offset) {
        count = (OPJ_OFF_T)(memory->length - memory->offset);
    }
    memory->offset = (size_t)((OPJ_OFF_T)memory->offset + count);
    return count;
}

static OPJ_BOOL coj_seek(OPJ_OFF_T position, void *user) {
    COJMemory *memory = (COJMemory *)user;
    if (position < 0 || (size_t)position > memory->length) return OPJ_FALSE;
    memory->offset = (size_t)position;
    return OPJ_TRUE;
}

static void coj_message(const char *text, void *user) {
    char *buffer = (char *)user;
    if (buffer == NULL || text == NULL) return;
    size_t used = strlen(buffer);
    if (used >= 511) return;
    strncat(buffer, text, 511 - used);
}

/** Decodes `data` and returns the image (caller frees with opj_image_destroy), or NULL with OpenJPEG's
 *  messages in `message` (at least 512 bytes). A JP2 box wrapper is detected by its signature.
 *  `threads` > 1 decodes code blocks in parallel (the result does not depend on it). */
static inline opj_image_t *coj_decode(const uint8_t *data, size_t length, int threads, char *message) {
    if (message) message[0] = '\0';
    if (length < 4) return NULL;
    OPJ_CODEC_FORMAT format = OPJ_CODEC_J2K;
    if (length >= 12 && data[4] == 'j' && data[5] == 'P' && data[6] == ' ' && data[7] == ' ') format = OPJ_CODEC_JP2;
    opj_codec_t *codec = opj_create_decompress(format);
    if (codec == NULL) return NULL;
    opj_set_error_handler(codec, coj_message, message);
    opj_set_warning_handler(codec, NULL, NULL);
    opj_set_info_handler(codec, NULL, NULL);
    opj_dparameters_t parameters;
    opj_set_default_decoder_parameters(&parameters);
    opj_image_t *image = NULL;
    COJMemory memory = {data, length, 0};
    opj_stream_t *stream = opj_stream_create(1 << 16, OPJ_TRUE);
    if (stream == NULL) { opj_destroy_codec(codec); return NULL; }
    opj_stream_set_user_data(stream, &memory, NULL);
    opj_stream_set_user_data_length(stream, length);
    opj_stream_set_read_function(stream, coj_read);
    opj_stream_set_skip_function(stream, coj_skip);
    opj_stream_set_seek_function(stream, coj_seek);
    int ok = opj_setup_decoder(codec, &parameters) && opj_codec_set_threads(codec, threads) &&
             opj_read_header(stream, codec, &image) && opj_decode(codec, stream, image) &&
             opj_end_decompress(codec, stream);
    opj_stream_destroy(stream);
    opj_destroy_codec(codec);
    if (!ok) {
        if (image) opj_image_destroy(image);
        return NULL;
    }
    return image;
}

/** Component `index` of `image` (NULL when out of range). */
static inline opj_image_comp_t *coj_component(opj_image_t *image, uint32_t index) {
    if (image == NULL || index >= image->numcomps) return NULL;
    return &image->comps[index];
}

#endif
