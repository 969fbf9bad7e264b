/* fuzz_config.c — seam.yaml loading must reject or accept any bytes without
 * crashing, leaking or reading out of bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/seam-fuzz-config-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    seam_config *cfg = NULL;
    char err[512];
    if (seam_config_load(path, &cfg, err, sizeof err) == 0) seam_config_free(cfg);
    unlink(path);
    return 0;
}
