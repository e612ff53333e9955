! Uses the module of kind10.f90: compiled after it (module order).
program uses_extended
  use extended, only: third
  implicit none
  print *, third()
end program uses_extended
