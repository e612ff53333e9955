! Same on both: double precision arithmetic with correctly rounded operations.
program control_fortran
  implicit none
  double precision :: x
  x = 2.0d0
  print '(a,es24.16)', 'sqrt(2) = ', sqrt(x)
  print '(a,i0)', 'kind = ', kind(x)
end program control_fortran
