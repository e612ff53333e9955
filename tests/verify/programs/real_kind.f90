! Differs: the smallest real kind with 18 decimal digits is the 80-bit x87 kind 10 on x86-64
! and the 128-bit kind 16 on AArch64.
program real_kind
  implicit none
  integer, parameter :: ep = selected_real_kind(p=18)
  real(kind=ep) :: third
  third = 1.0_ep / 3.0_ep
  print '(a,i0)', 'kind = ', ep
  print '(a,i0)', 'digits = ', precision(third)
end program real_kind
