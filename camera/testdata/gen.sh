#!/bin/sh
# Regenerates the recorded-frame fixtures of package camera. Run once, by hand, from this folder
# (FFmpeg 5.1 was used); the tests read the committed files and never run ffmpeg.
#
# Three 64x48 frames of FFmpeg's testsrc2 pattern, as a camera would deliver them:
#   testsrc2.mjpeg   MJPEG: concatenated baseline JPEGs, 4:2:2 like UVC cameras, with the standard
#                    Annex K Huffman tables written out (-huffman default; FFmpeg's default would
#                    be per-image optimal tables, which a camera never sends)
#   testsrc2.yuyv    raw YUYV 4:2:2 (V4L2 "YUYV", FFmpeg yuyv422), 64*48*2 bytes a frame
#   testsrc2.nv12    raw NV12 (a Y plane, then interleaved Cb/Cr at half resolution)
#   testsrc2.gray    raw 8-bit grey
# and FFmpeg's own conversion of each of those files to packed RGB (rgb24), the decoding references:
#   *.rgb24          converted with swscale's accurate path and nearest-neighbour chroma
#                    (-sws_flags full_chroma_int+neighbor+accurate_rnd+bitexact)
#   *_default.rgb24  converted with FFmpeg's defaults (`-pix_fmt rgb24` and nothing else): its fast
#                    table path, which rounds down by up to 3 levels, and for NV12 interpolated chroma
set -eu
src="-f lavfi -i testsrc2=size=64x48:rate=5 -frames:v 3"
ffmpeg -v error -y $src -pix_fmt yuvj422p -huffman default -q:v 5 -f mjpeg testsrc2.mjpeg
ffmpeg -v error -y $src -pix_fmt yuyv422 -f rawvideo testsrc2.yuyv
ffmpeg -v error -y $src -pix_fmt nv12 -f rawvideo testsrc2.nv12
ffmpeg -v error -y $src -pix_fmt gray -f rawvideo testsrc2.gray
acc="-sws_flags full_chroma_int+neighbor+accurate_rnd+bitexact"
ffmpeg -v error -y -f mjpeg -i testsrc2.mjpeg $acc -pix_fmt rgb24 -f rawvideo testsrc2_mjpeg.rgb24
ffmpeg -v error -y -f rawvideo -pix_fmt yuyv422 -s 64x48 -i testsrc2.yuyv $acc -pix_fmt rgb24 -f rawvideo testsrc2_yuyv.rgb24
ffmpeg -v error -y -f rawvideo -pix_fmt nv12 -s 64x48 -i testsrc2.nv12 $acc -pix_fmt rgb24 -f rawvideo testsrc2_nv12.rgb24
ffmpeg -v error -y -f rawvideo -pix_fmt yuyv422 -s 64x48 -i testsrc2.yuyv -pix_fmt rgb24 -f rawvideo testsrc2_yuyv_default.rgb24
ffmpeg -v error -y -f mjpeg -i testsrc2.mjpeg -pix_fmt rgb24 -f rawvideo testsrc2_mjpeg_default.rgb24
