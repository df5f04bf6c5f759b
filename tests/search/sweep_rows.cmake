# The tiny sweep's CSV: a header, 4 rows; the 0.02 KiB variants unmappable with a reason naming
# a buffer, the 1000 KiB ones priced.
file(READ ${CSV} t)
if(NOT t MATCHES "^array,array_pes,buffers_kib,bandwidth_gbs,clock_ghz,plan,status,reason,params,latency_s,energy_j,edp_js,edp_reduction_x\n")
  message(FATAL_ERROR "header:\n${t}")
endif()
if(NOT t MATCHES "\n8x8,64,0.02,64,2,dense,unmappable,[^,\n]*buf[^\n]*,,,,,\n8x8,64,1000,64,2,dense,ok,,444192,[0-9.e-]+,[0-9.e-]+,[0-9.e-]+,1\n16x16,256,0.02,")
  message(FATAL_ERROR "rows:\n${t}")
endif()
