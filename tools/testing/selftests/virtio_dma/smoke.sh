#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module loads, unloads and loads again, registering its PCI driver
# each time and leaving nothing bad in dmesg.

. "$(dirname "$0")/lib.sh"

vpd_dmesg_mark
vpd_load
vpd_check "loaded" vpd_loaded
vpd_check "driver registered" test -d $VPD_DRIVER_DIR
vpd_check "unloaded" vpd_unload
vpd_check "driver gone" test ! -d $VPD_DRIVER_DIR
vpd_load
vpd_check "loaded again" vpd_loaded
errors=$(vpd_dmesg_errors)
vpd_check "no error in dmesg" test -z "$errors"
exit $KSFT_PASS
