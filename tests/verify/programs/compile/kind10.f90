! real(kind=10) is the x87 80-bit kind: x86-64 only (AP101 on AArch64).
module extended
  implicit none
  integer, parameter :: xp = 10
contains
  function third() result(r)
    real(kind=xp) :: r
    r = 1.0_xp / 3.0_xp
  end function third
end module extended
